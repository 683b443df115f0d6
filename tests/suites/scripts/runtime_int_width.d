/*
 * Integer arithmetic happens in 64 bits, as in DTrace's registers: a shift past an int's width
 * keeps its bits until the value is stored or recorded as an int.
 */
#pragma D option quiet

int64_t val;
int shift;

BEGIN
{
	shift = 31;
	val = 1 << shift;
	printf("%d %d\n", val, 1 << shift);
	printf("%d %d\n", (1 << 32) != 0, (long)(1 << 31) * 2);
	this->i = 1 << 40;
	printf("%d %d\n", this->i, (long)(shift << 33) >> 33);
	@["key", 1 << 33] = sum(1 << 33);
	exit(0);
}
