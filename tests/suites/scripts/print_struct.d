/*
 * print() of a D struct in the alloca area: nested struct and union, a char array cut at its NUL,
 * a pointer in hex, a zero member left out, then the same value cut by a smaller printsize.
 */
#pragma D option quiet

struct point {
	short x;
	short y;
};

struct shape {
	unsigned int id;
	char tag[6];
	struct point at;
	union {
		unsigned char small;
		long wide;
	} v;
	void *owner;
	int unused;
	int delta;
};

BEGIN
{
	s = (struct shape *)alloca(sizeof (struct shape));
	s->id = 7;
	s->tag[0] = 'b';
	s->tag[1] = 'o';
	s->tag[2] = 'x';
	s->at.x = -3;
	s->at.y = 300;
	s->v.wide = 258;
	s->owner = (void *)0xabcdef;
	s->delta = -1;
	print(s);
	setopt("printsize", "12");
	print(s);
	exit(0);
}
