#pragma D option quiet
#pragma D option destructive

/* The command's output comes between what the clause printed before and after it. */
BEGIN
{
	printf("one\n");
	system("echo %d", 2);
	printf("three\n");
	system("echo %s %d", "four", 4 + 0);
	exit(0);
}
