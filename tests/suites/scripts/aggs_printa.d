/*
 * printa() with formats: %@ conversions of each function, widths and flags, keys taken by the
 * other conversions, histograms drawn in place of %@, and the default layout after a blank line.
 * The mean of 10 and -31 prints as 9223372036854775797: libdtrace's printa() divides the raw
 * 64-bit sum of avg() as unsigned (only the default layout divides it signed).
 */

#pragma D option quiet

BEGIN
{
	@calls["read", 3] = count();
	@calls["read", 3] = count();
	@calls["write", 1] = count();
	@bytes["read", 3] = sum(4096);
	@bytes["write", 1] = sum(-12);
	@mean = avg(10);
	@mean = avg(-31);
	@dist = quantize(3);
	@dist = quantize(5);

	printa("%-8s fd %d: %@u calls\n", @calls);
	printa("[%8@d] [%-8@d] [%@x] [%@8u]\n", @bytes);
	printa("%s/%d=%+@d ", @bytes);
	printf("\n");
	printa("mean %@d\n", @mean);
	printa("distribution:%@d", @dist);
	printa(@calls);
	printf("end\n");
	exit(0);
}
