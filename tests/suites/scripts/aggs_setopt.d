/*
 * setopt() at run time: the options the consumer reads change between two printa() calls, and
 * options that cannot change while tracing or do not exist are reported on stderr.
 */

#pragma D option quiet

BEGIN
{
	@tour["Lisbon", 3] = sum(20);
	@tour["Oslo", 1] = sum(10);
	@tour["Bern", 2] = sum(30);
	printa("%s %d %@d\n", @tour);
	setopt("aggsortkey");
	printa("%s %d %@d\n", @tour);
	setopt("aggsortkeypos", "1");
	setopt("aggsortrev", "yes");
	printa("%s %d %@d\n", @tour);
	setopt("aggsortkey", "false");
	setopt("aggsortkeypos", "0");
	setopt("aggsortrev", "");
	printa("%s %d %@d\n", @tour);
	setopt("nosuch");
	setopt("quiet", "perhaps");
	setopt("bufsize", "8m");
	setopt("quiet", "no");
	exit(0);
}
