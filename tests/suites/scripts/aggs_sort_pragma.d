/*
 * #pragma D options take effect in the consumer too.
 */

#pragma D option quiet
#pragma D option aggsortkey
#pragma D option aggsortkeypos=1

BEGIN
{
	@tour["Lisbon", 3] = sum(20);
	@tour["Oslo", 1] = sum(10);
	@tour["Bern", 2] = sum(30);
	@tour["Oslo", 0] = sum(10);
	exit(0);
}
