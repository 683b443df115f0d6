/*
 * clear() and trunc() of one aggregation leave the others in its map alone: @a, @b and @c share
 * a map. The records of clear() and trunc() are consumed before exit() ends tracing, so END's
 * updates come after them.
 */
BEGIN
{
	@a[1] = count();
	@a[2] = count();
	@b[1] = count();
	@b[2] = count();
	@b[2] = count();
	@c[5] = count();
	@c[6] = count();
	@c[6] = count();
	@c[7] = count();
	@c[7] = count();
	@c[7] = count();
	clear(@a);
	trunc(@c, 1);
	exit(0);
}

END
{
	@a[3] = count();
	@c[8] = count();
}
