/* Strings compare with strings, and are equal or unequal to NULL; nothing else. */
BEGIN
{
	trace("abc" == 1);
	trace("abc" < NULL);
	trace(1 > probefunc);
	trace(arg0 ? "a" : 1);
	trace(-"abc");
}
