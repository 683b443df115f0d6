/* Subroutine prototypes: argument counts and types, in libdtrace's words. */
BEGIN
{
	trace(substr());
	trace(substr(probename));
	trace(substr(probename, 1, 2, 3));
	trace(substr(10, 1));
	trace(substr(probename, "a"));
	trace(strtok("abc"));
	trace(strchr("abc", "b"));
	trace(lltostr("1"));
	trace(progenyof("some_string"));
	trace(rand(1));
	trace(copyinstr());
	trace(strlen(1234));
	trace(index("abc"));
	trace(strjoin("a", printf("x")));
}
