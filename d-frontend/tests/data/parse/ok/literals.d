BEGIN
{
	printf("%s %d %c\t\"%s\"\n", $$1, $1, 'x', "\101\x42");
	n = 0x7fffffff + 0xffffffff + 4294967296 + 10u + 10UL + 'ab';
	trace($target);
}
