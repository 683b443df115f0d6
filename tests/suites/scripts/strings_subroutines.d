#!/usr/sbin/dtrace -s
/* Every string subroutine, with DTrace's edge cases, printed between brackets. */
#pragma D option quiet

BEGIN
{
	printf("strjoin [%s] [%s]\n", strjoin("foo", "bar"), strjoin("", ""));
	printf("substr [%s] [%s] [%s] [%s] [%s] [%s]\n", substr("hello world", 6),
	    substr("hello", -3), substr("hello", -10), substr("hello", -10, 7),
	    substr("hello", 1, -1), substr("hello", 9));
	printf("strlen %d %d\n", strlen("hello"), strlen(""));
	printf("index %d %d %d %d\n", index("foofoofoo", "foo"), index("foofoofoo", "foo", 4),
	    index("foobar", ""), index("foo", "bar"));
	printf("rindex %d %d %d %d\n", rindex("foofoofoo", "foo"), rindex("foofoofoo", "foo", 4),
	    rindex("foobar", ""), rindex("foofoofoo", "foo", -1));
	printf("strchr [%s] [%s] %d\n", strchr("hello", 'l'), strrchr("hello", 'l'),
	    strchr("hello", 'z') == NULL);
	printf("strstr [%s] %d\n", strstr("foobarbaz", "bar"), strstr("foo", "bar") == NULL);
	printf("case [%s] [%s]\n", toupper("Hello, World"), tolower("Hello, World"));
	printf("lltostr [%s] [%s] [%s] [%s] [%s]\n", lltostr(0), lltostr(-42),
	    lltostr(0x7fffffffffffffff), lltostr(255, 16), lltostr(8, 8));
}

BEGIN
{
	printf("basename [%s] [%s] [%s] [%s] [%s]\n", basename(""), basename("/"),
	    basename("a/b/"), basename("/usr/lib/libc.so.6"), basename("name"));
	printf("dirname [%s] [%s] [%s] [%s] [%s]\n", dirname(""), dirname("/"),
	    dirname("a/b/"), dirname("/usr/lib/libc.so.6"), dirname("name"));
}

BEGIN
{
	printf("strtok [%s]", strtok(",,,Carrots,,Barley,Oatmeal,,,Beans,", ","));
	printf(" [%s]", strtok(NULL, ","));
}

BEGIN
{
	printf(" [%s] [%s] %d\n", strtok(NULL, ","), strtok(NULL, ","),
	    strtok(NULL, ",") == NULL);
	printf("compare %d %d %d %d %d\n", "abc" < "abd", "abc" == "abc", "ab" < "abc",
	    "b" > "abc", "" != "a");
	exit(0);
}
