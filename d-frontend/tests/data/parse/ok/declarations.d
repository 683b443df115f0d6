#pragma D option quiet

typedef unsigned long long u64_t;
struct point {
	int x, y;
	char name[16];
	unsigned flags : 3;
	struct point *next;
};
enum colour { RED, GREEN = 4, BLUE };
inline int MAX = 10 * 2;

int x;
self string s;
this char a, b;
uint64_t start;
string names[int, string];
self x;
self struct point *p, *last[int];

BEGIN
{
	x = 1;
	trace(offsetof(struct point, name) + sizeof(u64_t));
}
