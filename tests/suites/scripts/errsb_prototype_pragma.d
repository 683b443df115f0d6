/* A prototype is an extern declaration: it declares no variable a pragma could apply to. */
int handler(void *, long);
long total;

#pragma D attributes Evolving/Evolving/Common total
#pragma D attributes Evolving/Evolving/Common handler

BEGIN
{
	total = 1;
	exit(0);
}
