/*
 * The target of the stacks suite: main calls outer, which calls inner, which writes a line to
 * /dev/null (so that only tracer prints), three times. Built without optimization and with frame pointers, so the kernel can walk its user
 * stack. libc's write() keeps no frame of its own, so the walk from it skips inner and finds
 * outer, then main. It sleeps before exiting so that tracer has read its mappings; its
 * aggregations are printed after it has exited.
 */
#include <fcntl.h>
#include <unistd.h>

__attribute__((noinline)) void inner(int fd)
{
	write(fd, "line\n", 5);
}

__attribute__((noinline)) void outer(int fd)
{
	inner(fd);
}

int main(void)
{
	int fd = open("/dev/null", O_WRONLY);

	for (int i = 0; i < 3; i++)
		outer(fd);
	usleep(300000);
	return 0;
}
