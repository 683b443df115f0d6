self int x;
provider p { probe q(); };
#foo
BEGIN
{
	x = offsetof(struct file, f_pos);
}
