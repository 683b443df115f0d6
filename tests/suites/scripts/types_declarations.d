#pragma D option quiet

/* A user struct laid out as C does: padding before i and l. */
struct sample {
	char c;
	int i;
	long l;
	unsigned flags : 3;
};

enum colour {
	RED,
	GREEN = 5,
	BLUE
};

typedef unsigned char byte_t;

inline int MAX = 10;
inline string WHO = probename;

BEGIN
{
	printf("%d %d %d\n", sizeof(struct sample), offsetof(struct sample, i),
	    offsetof(struct sample, l));
	printf("%d %d %d\n", RED, GREEN, BLUE);
	printf("%d %d\n", (byte_t)300, sizeof(byte_t));
	printf("%d %s\n", MAX * 2, WHO);
	exit(0);
}
