/* One aggregation of each function, two printed by printa, the rest at exit. */
BEGIN
{
	@counts["b", 1] = count();
	@counts["a", 2] = count();
	@counts["a", 2] = count();
	@sum = sum(-5);
	@min = min(3);
	@min = min(-4);
	@max = max(9);
	@avg = avg(4);
	@avg = avg(7);
	@dev = stddev(2);
	@dev = stddev(4);
	@q = quantize(0);
	@q = quantize(5);
	@q = quantize(-3);
	@q = quantize(6);
	@l = lquantize(-1, 0, 50, 10);
	@l = lquantize(15, 0, 50, 10);
	@l = lquantize(99, 0, 50, 10);
	@ll = llquantize(1234, 10, 0, 6, 20);
	@ll = llquantize(-5, 10, 0, 6, 20);
	@big = sum(9223372036854775807);
	@big = sum(0);
	@normalized = sum(100);
	normalize(@normalized, 10);
	printa(@sum);
	printa("%s %d %@d\n", @counts);
	exit(0);
}
