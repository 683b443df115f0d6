/* An unset thread-local string and an unset associative array string are NULL strings. */
#pragma D option quiet

self string name;
string names[int];

BEGIN
{
	trace(self->name);
	exit(1);
}

BEGIN
{
	trace(names[7]);
	exit(1);
}

ERROR
{
	printf("fault %d %d\n", arg4, arg5);
	exit(0);
}
