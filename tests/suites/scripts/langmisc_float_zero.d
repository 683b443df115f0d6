/* Floating-point globals start at zero, and each conversion prints zero as C does. */
#pragma D option quiet

float f;
double d;
struct sample { char tag; float f; double d; long double ld; };

BEGIN
{
	printf("%e|%E|%f|%g|%G\n", f, f, f, f, f);
	printf("%e|%E|%f|%g|%G\n", d, d, d, d, d);
	printf("%d %d %d\n", sizeof(f), sizeof(d), sizeof(long double));
	printf("%d %d %d %d\n", offsetof(struct sample, f), offsetof(struct sample, d),
	    offsetof(struct sample, ld), sizeof(struct sample));
	printf("%d %d\n", d == d, f != f);
	exit(0);
}
