/*
 * A clause whose only action is speculate() records the default action, the probe line,
 * into the speculation: it is printed when the speculation is committed, never when it is
 * discarded. commit() and discard() print no probe line of their own.
 */
#pragma D option nspec=2

BEGIN
{
	kept = speculation();
	dropped = speculation();
}

BEGIN
{
	speculate(kept);
}

BEGIN
{
	speculate(dropped);
}

BEGIN
{
	discard(dropped);
	commit(kept);
}

BEGIN
{
	exit(0);
}
