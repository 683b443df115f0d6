BEGIN
{
	x = 1 # 2;
	y = é;
	z = $;
}
