/* A global variable with an initializer. */
int i = 0;

BEGIN
{
	exit(i);
}
