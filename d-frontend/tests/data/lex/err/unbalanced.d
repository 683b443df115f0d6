BEGIN
/rand(/
{
	trace(epid));
	trace(args[0]]);
}
