#pragma D option quiet

/*
 * Declarations fix variables' types with the type system's names: a typedef narrows what is
 * stored, a pointer steps by the size of what it points to, and a char array is stored as a
 * string, as a value and as a key.
 */
typedef unsigned char byte_t;
byte_t small;
int *cursor;
string names[int];

BEGIN
{
	small = 300;
	cursor = (int *)16;
	cursor++;
	names[1] = curthread->comm;
	last = curthread->comm;
	seen[curthread->comm] = 7;
	printf("%d %d\n", small, (long)cursor);
	printf("%s %s %d\n", names[1], last, seen["tracer"]);
	exit(0);
}
