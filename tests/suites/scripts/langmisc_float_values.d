/* Doubles and floats read from user memory print with C's formatting of the IEEE value. */
#pragma D option quiet

struct sample { double pi; double minus_ten; double tiny; float one_half; float quarter; };

syscall::write:entry
/pid == $target && arg2 == 32/
{
	this->s = (struct sample *)copyin(arg1, 32);
	printf("[%f] [%.2f] [%10.4f] [%-10.1f] [%+f]\n", this->s->pi, this->s->pi,
	    this->s->minus_ten, this->s->pi, this->s->pi);
	printf("[%e] [%E] [%.3e] [%e]\n", this->s->pi, this->s->tiny, this->s->minus_ten,
	    this->s->tiny);
	printf("[%g] [%G] [%g] [%g] [%#g]\n", this->s->pi, this->s->tiny,
	    this->s->minus_ten, this->s->one_half, this->s->one_half);
	printf("[%f] [%g] [%010.3f] [% f]\n", this->s->one_half, this->s->quarter,
	    this->s->quarter, this->s->one_half);
	printf("%d %d\n", this->s->pi == this->s->pi, this->s->pi == this->s->minus_ten);
}
