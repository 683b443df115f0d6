/*
 * Kernel symbols are read at their /proc/kallsyms address: __start_BTF begins the kernel's own
 * BTF, whose magic is 0xeb9f, and a function's address prints as its symbol. A symbol BTF has
 * no variable for is a uintptr_t, as in DTrace.
 */
#pragma D option quiet

BEGIN
{
	printf("%x %x\n", *(unsigned short *)&`__start_BTF, *(unsigned short *)&vmlinux`__start_BTF);
	printf("%a\n", &`vfs_read);
	printf("%d %d\n", (long)&`vfs_read == (long)&vmlinux`vfs_read, sizeof(`vfs_read));
	exit(0);
}
