/*
 * Aggregations without keys of every function: printed with printa(), then cleared (the key stays,
 * with a zero value, or INT64_MAX and INT64_MIN for min and max) or truncated (the key goes). The
 * records of clear() and trunc() are consumed before exit() ends tracing, so END's updates come
 * after them, and the aggregations END leaves alone keep what BEGIN left.
 */
BEGIN
{
	@c = count();
	@c = count();
	@s = sum(10);
	@s = sum(-3);
	@a = avg(4);
	@a = avg(9);
	@mi = min(5);
	@mi = min(-2);
	@ma = max(5);
	@ma = max(9);
	@sd = stddev(2);
	@sd = stddev(6);
	@q = quantize(3);
	@q = quantize(100);
	@l = lquantize(3, 0, 10, 2);
	@l = lquantize(11, 0, 10, 2);
	@ll = llquantize(150, 10, 0, 3, 10);
	@gone = count();
	printa("count %@d sum %@d avg %@d\n", @c, @s, @a);
	printa("min %@d max %@d stddev %@d\n", @mi, @ma, @sd);
	clear(@c);
	clear(@mi);
	clear(@ma);
	trunc(@s);
	trunc(@gone);
	printa("cleared: count %@d\n", @c);
	printa("cleared: min %@d\n", @mi);
	printa("cleared: max %@d\n", @ma);
	printa("truncated: sum %@d\n", @s);
	exit(0);
}

END
{
	@c = count();
	@mi = min(7);
	@mi = min(8);
	@s = sum(4);
	printa("end: count %@d min %@d\n", @c, @mi);
	printa("end: sum %@d\n", @s);
}
