/*
 * Actions in both arms of an if, between unconditional ones. In BEGIN, arg0 is 0, so the then
 * arm runs and the else arm does not.
 */
BEGIN
{
	printf("before");
	if (arg0 == 0) {
		printf("then");
		trace(1);
	} else {
		printf("else");
	}
	printf("after");
	if (arg0 != 0) {
		printf("never");
	}
	exit(0);
}
