BEGIN
{
	i = 0 + 42 + 0x1F + 017 + 10u + 10UL + 10ll + 10LLU + 0xffffffff;
	c = 'a' + '\n' + '\0' + '\'' + '\x41' + 'ab';
	s = "plain";
	e = "tab\there\nnew \"quoted\" back\\slash \101\x42 \q";
}
