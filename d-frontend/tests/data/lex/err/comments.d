BEGIN
{
	/* a comment /* with a nested opening */
	trace(1);
}
/* not closed
