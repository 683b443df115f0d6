/* nspec takes a number, not an expression: the pragma has one word too many. */
#pragma D option nspec=2 * 3

BEGIN
{
	exit(0);
}
