/*
 * Storing 0 in a struct-valued element deletes it: with room for three elements, a fourth fits
 * only because one was deleted. A deleted thread-local struct reads through its NULL address.
 */
#pragma D option quiet
#pragma D option dynvarsize=120

struct box {
	int	a;
};

this struct box val;

BEGIN
{
	this->val.a = 1;
	boxes[1] = this->val;
	this->val.a = 2;
	boxes[2] = this->val;
	this->val.a = 3;
	boxes[3] = this->val;
	boxes[1] = 0;
	this->val.a = 4;
	boxes[4] = this->val;
	printf("%d %d %d\n", boxes[2].a, boxes[3].a, boxes[4].a);
	self->b = this->val;
	self->b = 0;
}

BEGIN
{
	printf("unreachable %d\n", self->b.a);
}

BEGIN
{
	exit(0);
}
