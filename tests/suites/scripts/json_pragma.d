#pragma D option oformat=json

BEGIN
{
	exit(0);
}
