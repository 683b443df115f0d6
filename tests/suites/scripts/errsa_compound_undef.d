BEGIN
{
	/* The undefined left operand is reported, not the action on the right. */
	p -= trace(0);
	exit(0);
}
