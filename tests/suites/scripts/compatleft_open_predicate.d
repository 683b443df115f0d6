BEGIN
/rand(/
{
	exit(0);
}
