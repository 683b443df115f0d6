BEGIN
/rand(/
{
	trace(epid));
}
