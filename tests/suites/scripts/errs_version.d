#pragma D option version=1.0

/* strstr is a built-in function only from D 1.1 on. */
int strstr;

BEGIN
{
	strstr = 7;
	printf("%d\n", strstr);
	exit(0);
}
