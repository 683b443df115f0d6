struct in { int i; char c; };
struct out { int oi; char oc; };
translator struct out < struct in *p >
{
	oi = p->i + 1;
	oc = p->c;
};
inline int add[int x, int y] = x + y;
BEGIN
{
	trace(xlate<struct out *>((struct in *)arg0)->oi);
	trace((xlate<struct out>(*(struct in *)arg0)).oc);
	trace(add[1, 2]);
}
