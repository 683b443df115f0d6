BEGIN
{
	x = ;
	y = 1 +;
	z = 3;
}

END
{
	@a[] = count();
	trace(1) trace(2);
}

tick-1s
{
	exit(0);
}
