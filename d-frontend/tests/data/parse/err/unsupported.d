self int x;
translator struct s < int x > { a = x; };
#foo
BEGIN
{
	x = offsetof(struct file, f_pos);
}
