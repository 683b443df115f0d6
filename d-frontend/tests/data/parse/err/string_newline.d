BEGIN
{

	h = "hello
";
	exit(0);
}
