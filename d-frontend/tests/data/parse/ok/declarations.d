#pragma D option quiet

int x;
self string s;
this char a, b;
uint64_t start;
string names[int, string];
self x;

BEGIN
{
	x = 1;
}
