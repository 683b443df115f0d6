/*
 * printa() of several aggregations: rows joined by key, a missing value printed as zero data, rows
 * sorted by the first aggregation's value, then the next, then by key (or from aggsortpos on).
 */

#pragma D option quiet

BEGIN
{
	@calls["alpha"] = count();
	@calls["beta"] = count();
	@calls["beta"] = count();
	@calls["gamma"] = count();

	@total["alpha"] = sum(300);
	@total["beta"] = sum(50);
	@total["delta"] = sum(-5);

	@peak["gamma"] = max(9);
	@peak["beta"] = max(-9);

	printf("default layout:");
	printa(@calls, @total, @peak);
	printa("%-6s %@d %@d %@d\n", @calls, @total, @peak);
	printf("sorted from the second aggregation:\n");
	setopt("aggsortpos", "1");
	printa("%-6s %@d %@d %@d\n", @calls, @total, @peak);
	printf("the same aggregation twice:\n");
	setopt("aggsortpos", "0");
	printa("%-6s %@d %@d\n", @total, @total);
	exit(0);
}
