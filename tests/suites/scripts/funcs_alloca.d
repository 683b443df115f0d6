#pragma D option quiet
#pragma D option scratchsize=32

/*
 * alloca memory written element by element, copied with bcopy and read back as a string; every
 * clause starts with an empty area, so the first allocation of each is at offset 8.
 */
BEGIN
{
	path = (char *)alloca(8);
	path[0] = '/';
	path[1] = 'u';
	path[2] = 's';
	path[3] = 'r';
	path[4] = 0;
	copy = (char *)alloca(8);
	bcopy(path, copy, 5);
	printf("%s %s %s %d %d\n", stringof(copy), basename(copy), dirname(path),
	    (int)path, (int)copy);
}

BEGIN
{
	words = (int *)alloca(3 * sizeof(int));
	words[0] = 1;
	words[1] = words[0] + 1;
	words[2] = words[1] * 10;
	printf("%d %d %d %d\n", words[0], words[1], words[2], (int)words);
}

BEGIN
{
	exit(0);
}
