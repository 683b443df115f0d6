/*
 * Aggregations of one layout share a map: @a, @b and @m have an int key and one data word, @n
 * and @e no key and one data word, @s a string key. Each keeps its own keys and values.
 */
BEGIN
{
	@a[1] = count();
	@a[2] = count();
	@a[2] = count();
	@b[1] = sum(10);
	@b[3] = sum(30);
	@m[2] = max(7);
	@m[2] = max(-3);
	@n = count();
	@e = count();
	@e = count();
	@e = count();
	@s["one"] = count();
	@t["one"] = sum(4);
	exit(0);
}
