int*start;

BEGIN
{
	start = (int *)&`_text;
	trace(start != 0);
	exit(0);
}
