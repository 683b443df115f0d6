/* Every action that prints, with integers of every size and signedness at their extremes. */
BEGIN
{
	trace(1);
	trace("hello");
	trace((char)-1);
	trace((unsigned char)200);
	trace((short)-300);
	trace((unsigned short)65535);
	trace(-2);
	trace((unsigned int)4294967295);
	trace((unsigned long long)-1);
	trace(-9223372036854775807 - 1);
	trace("\377a");
	printf("%s=%d\n", "x", 42);
	system("echo from system; exit 4");
	exit(3);
}

END
{
	printf("%s\n", "end");
}
