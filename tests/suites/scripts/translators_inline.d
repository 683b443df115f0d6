#pragma D option quiet

/*
 * Inlines of every kind: a folded constant, a string, an expression of a built-in variable, a
 * translated struct, inline arrays whose parameters are bound to their subscripts (one of them
 * translating its parameter), and a translator whose input is a string.
 */
inline int i0 = 100 + 23;
inline string i1 = probename;
inline int i2 = pid != 0;

struct s {
	int s_x;
};

translator struct s < int T > {
	s_x = T + 1;
};

struct len {
	long n;
	string up;
};

translator struct len < string str > {
	n = strlen(str);
	up = toupper(str);
};

inline struct s i3 = xlate<struct s>(i0);
inline int i4[int x, int y] = x + y;
inline int i5[int x] = (xlate<struct s>(x)).s_x;
inline string sign[int x] = x < 0 ? "negative" : "positive";

BEGIN
{
	printf("%d %s %d %d\n", i0, i1, i2, i3.s_x);
	printf("%d %d %d\n", i4[10, 20], i5[123], i4[i5[1], i0]);
	printf("%s %s\n", sign[-i0], sign[i4[1, 2]]);
	printf("%d %s\n", xlate<struct len>("dtrace").n, xlate<struct len>(i1).up);
	exit(0);
}
