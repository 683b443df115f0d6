/* A string predicate, a string ternary, and tests against NULL. */
syscall::openat:entry
/execname == "cat" || probefunc < "z"/
{
	printf("%s %d\n", arg0 > 0 ? "positive" : probename, strstr(execname, "a") != NULL);
}
