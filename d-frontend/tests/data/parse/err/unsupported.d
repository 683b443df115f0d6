extern int x;
inline int one = 1;
#foo
BEGIN
{
	x = offsetof(struct file, f_pos);
}
