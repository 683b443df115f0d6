/* alloca() memory written through struct members, elements and pointers moved by += and ++. */
#pragma D option quiet

struct rec {
	int	a;
	char	b;
	long	vals[3];
};

BEGIN
{
	this->p = (struct rec *)alloca(2 * sizeof(struct rec));
	this->i = 2;
	this->p->a = 5;
	this->p[1].b = 'z';
	this->p->vals[this->i] = 42;
	(*this->p).vals[0] = 7;
	this->q = this->p;
	this->q += 1;
	this->q->a = 6;
	this->q -= 1;
	this->q++;
	printf("%d %c %d %d %d\n", this->p->a, this->p[1].b, this->p->vals[2], this->p->vals[0],
	    this->q->a);
	exit(0);
}
