/* One call of each string subroutine; argument temporaries are reused between calls, and the
 * pragma sizes every string slot (16 characters and the NUL, in 24 bytes). */
#pragma D option strsize=16
BEGIN
{
	trace(strjoin(substr("hello", 1, -1), toupper("x")));
	trace(strlen(basename("/a/b")) + index("abc", "c", 1) + rindex("abc", "c"));
	trace(strtok(NULL, ","));
	trace(strtok(dirname("/a/b"), ","));
	trace(lltostr(rand(), 16));
	trace(strchr(copyinstr(arg0, 8), 'x'));
	trace(progenyof($pid));
}
