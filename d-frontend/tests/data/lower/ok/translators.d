struct in { int i; char c; };
struct out { int oi; long twice; };
translator struct out < struct in *p >
{
	oi = p->i;
	twice = p->i * 2;
};
inline int add[int x, int y] = x + y;
BEGIN
{
	trace(xlate<struct out *>((struct in *)arg0)->twice);
	trace(add[arg1, 2]);
}
