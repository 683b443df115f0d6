struct in { int i; char c; };
struct out { int oi; char *op; };
translator struct out < struct in *p >
{
	oi = p->i;
	op = p->c;
	nope = p->i;
};
translator int < int x > { };
BEGIN
{
	trace(xlate<struct out>(1).oi);
}
