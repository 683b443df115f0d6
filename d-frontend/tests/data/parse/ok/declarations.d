typedef unsigned long long u64_t;
struct point {
	int x, y;
	char name[16];
	unsigned flags : 3;
	struct point *next;
};
enum colour { RED, GREEN = 4, BLUE };
inline int MAX = 10 * 2;
BEGIN
{
	trace(offsetof(struct point, name) + sizeof(u64_t));
}
