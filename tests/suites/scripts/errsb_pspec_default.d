BEGIN
{
	exit(0);
}

char*name
