/*
 * A header comment.
 */
BEGIN /* between */ /1/ // after the predicate
{
	x = 1; /* trailing */
	// a line comment
}
