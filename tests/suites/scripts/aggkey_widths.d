/*
 * String keys take only the bytes their expressions can write: @narrow's keys are at most 64
 * bytes (probe names), @mixed's first key is a whole string, because one clause writes a string
 * variable there. x[] has a 16-byte key and y[] a whole string. They all print as before.
 */
#pragma D option quiet
#pragma D option aggsortkey

BEGIN
{
	s = "tracer";
	@narrow[execname] = count();
	@narrow["tracer"] = count();
	@narrow["a"] = count();
	@narrow[probename] = count();
	@narrow[probeprov] = count();
	@mixed[execname, 1] = sum(10);
	@mixed["zzz", 2] = sum(5);
}

BEGIN
{
	@mixed[s, 1] = sum(1);
	@mixed[strjoin(s, "-with-a-suffix-past-sixteen-bytes"), 3] = sum(7);
	x[execname]++;
	x["tracer"]++;
	y[execname]++;
	printf("%d %d %d\n", x[execname], x["tracer"], y[s]);
	printa("%-10s|%@d\n", @narrow);
	printa("[%20s] %-3d %@5d\n", @mixed);
	printa("%s %@d\n", @narrow);
	exit(0);
}
