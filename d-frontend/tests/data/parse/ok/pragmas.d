#!/usr/sbin/dtrace -s
#pragma D option quiet
#pragma D option bufsize=16k
#pragma ident "ignored"

BEGIN
{
	printf("%d\n", 1);
}
