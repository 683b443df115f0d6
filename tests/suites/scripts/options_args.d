#pragma D option quiet

BEGIN
{
	printf("int %d, string %s, quoted %s, name %s\n", $1 + 1, $2, $$1, $$0);
	exit(0);
}
