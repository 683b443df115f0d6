/*
 * Strings in alloca memory: the first clause records a string, leaving its bytes in the scratch
 * area; the next clauses read strings built byte by byte in alloca memory, and store one there.
 */
#pragma D option quiet
#pragma D option scratchsize=512

BEGIN
{
	this->s = "from the first clause";
	printf("%s\n", this->s);
}

BEGIN
{
	x = (char *)alloca(8);
	y = (char *)alloca(8);
	x[0] = 'u'; x[1] = '/'; x[2] = 'v'; x[3] = 0;
	y[0] = '/'; y[1] = 0;
	printf("%d %d %d %s %s\n", strlen(x), index(x, y), rindex(x, y), basename(x),
	    strjoin(x, y));
}

BEGIN
{
	s = (string *)alloca(sizeof(string) + 1);
	*s = "stored";
	printf("%s %d\n", *s, strlen(*s));
	exit(0);
}

ERROR
{
	printf("fault %d at %x\n", arg4, arg5);
	exit(1);
}
