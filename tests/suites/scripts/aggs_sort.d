/*
 * Rows in the end-of-run dump, ordered by the aggsort options given with -x or #pragma.
 */

BEGIN
{
	@tour["Lisbon", 3] = sum(20);
	@tour["Oslo", 1] = sum(10);
	@tour["Bern", 2] = sum(30);
	@tour["Oslo", 0] = sum(10);
	@trips["Rome"] = count();
	@trips["Rome"] = count();
	@trips["Kyiv"] = count();
	exit(0);
}
