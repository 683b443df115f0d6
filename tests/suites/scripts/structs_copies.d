/*
 * Struct values copied between globals, clause-locals, thread-locals and associative arrays,
 * with members and elements written in place, and `++`, `+=` on them.
 */
#pragma D option quiet

struct point {
	int	x;
	int	y;
	char	name[8];
};

struct point origin;
this struct point p;
int grid[3];

BEGIN
{
	origin.x = 10;
	origin.y = 20;
	this->p = origin;
	this->p.x++;
	this->p.y += 5;
	self->saved = this->p;
	self->saved.name[0] = 'p';
	points["first"] = self->saved;
	points["first"].y = 99;
	this->i = 2;
	grid[this->i] = 7;
	grid[this->i - 1] = grid[this->i] * 2;
	printf("origin %d,%d\n", origin.x, origin.y);
	printf("local %d,%d\n", this->p.x, this->p.y);
	printf("self %d,%d %c\n", self->saved.x, self->saved.y, self->saved.name[0]);
	printf("assoc %d,%d %c\n", points["first"].x, points["first"].y, points["first"].name[0]);
	printf("grid %d %d %d\n", grid[0], grid[1], grid[2]);
	exit(0);
}
