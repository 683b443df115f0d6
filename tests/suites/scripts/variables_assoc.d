/*
 * An associative array keyed by a string and an integer, filled from a real probe.
 */
#pragma D option quiet

syscall::read:entry
/pid == $target/
{
	calls[execname, arg0]++;
}

END
{
	printf("dd fd0=%d fd9=%d other=%d\n", calls["dd", 0], calls["dd", 9], calls["cat", 0]);
}
