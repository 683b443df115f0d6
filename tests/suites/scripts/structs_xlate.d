/* A translator whose input is a struct value (not a pointer), and an inline naming a struct. */
#pragma D option quiet

struct raw {
	int	count;
	char	flag;
};

struct cooked {
	int	doubled;
	char	flag;
};

translator struct cooked < struct raw r >
{
	doubled = ((struct raw)r).count * 2;
	flag = r.flag;
};

struct raw input;
inline struct raw alias = input;

BEGIN
{
	input.count = 21;
	input.flag = 'k';
	printf("%d %c %d\n", xlate<struct cooked>(input).doubled,
	    xlate<struct cooked>(input).flag, alias.count);
	exit(0);
}
