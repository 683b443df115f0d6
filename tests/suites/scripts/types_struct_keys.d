#pragma D option quiet

struct point { int x; int y; };
struct small { short v; };
struct wide { int a; char tag; long b; };
union name { char text[12]; int n; };

struct point p;
struct small s;
struct wide w;
union name u;

BEGIN
{
	p.x = 1;
	p.y = 2;
	seen[p] = 10;
	p.y = 3;
	seen[p] = 20;
	p.y = 2;
	printf("first %d\n", seen[p]);
	p.y = 3;
	printf("second %d\n", seen[p]);
	p.y = 4;
	printf("missing %d\n", seen[p]);
	p.y = 3;
	seen[p] = 0;
	printf("deleted %d\n", seen[p]);
	p.y = 2;
	self->mine[p, "tag"] = 5;
	printf("thread-local %d %d\n", self->mine[p, "tag"], self->mine[p, "other"]);

	p.x = 1;
	p.y = 0;
	@points[p] = count();
	p.x = 0;
	p.y = 1;
	@points[p] = count();
	@points[p] = count();
	s.v = -2;
	@small[s] = sum(5);
	w.a = 1;
	w.tag = 'z';
	w.b = -1;
	@wide[w, 7] = max(3);
	u.text[0] = 'o';
	u.text[1] = 'k';
	@names[u] = count();
	u.n = 0x41424344;
	@names[u] = count();
	@names[u] = count();
	exit(0);
}
