/*
 * A thread-local or array element read in a predicate and again in the body is loaded once, but
 * every store, increment or delete in between is seen by the reads after it.
 */
BEGIN
{
	self->x = 5;
	a[1] = 10;
	a[2] = 20;
	t[tid] = 3;
}

BEGIN
/self->x == 5 && t[tid]/
{
	printf("%d %d %d\n", self->x, a[1] + a[1], t[tid]);
	self->x = 7;
	printf("%d\n", self->x);
	self->x++;
	printf("%d\n", self->x);
	self->x += a[2];
	printf("%d\n", self->x);
	self->x = 0;
	printf("%d\n", self->x);
	a[1] = a[2];
	printf("%d %d\n", a[1], a[2]);
	t[tid] = 0;
	printf("%d\n", t[tid]);
}

BEGIN
/self->x == 0/
{
	printf("%d %d\n", self->x ? 1 : 2, self->x);
	self->x = self->x + 1;
	printf("%d\n", self->x);
	@ = sum(self->x);
	exit(0);
}
