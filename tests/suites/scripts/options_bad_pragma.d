BEGIN
{
	exit(0);
}

#pragma D option bufsize=lots
