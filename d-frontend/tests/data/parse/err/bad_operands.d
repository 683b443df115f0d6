BEGIN
{
	a = * ;
	b = (int);
	c = 1 ? 2;
	d = x->;
	e = 1(2);
}
