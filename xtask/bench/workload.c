/*
 * The benchmark workload: makes N system calls of one kind as fast as it can and prints the mean
 * nanoseconds per call.
 *
 *   workload getppid N     N getppid() calls (the kernel does almost nothing for them)
 *   workload read N        N one-byte read()s of /dev/zero
 *   workload fork N        N fork()s of a child that exits at once, each waited for
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: workload getppid|read|fork N\n");
		return 2;
	}
	long n = atol(argv[2]);
	int is_read = strcmp(argv[1], "read") == 0;
	int is_fork = strcmp(argv[1], "fork") == 0;
	int fd = open("/dev/zero", O_RDONLY);
	char byte;
	double start = now_ns();

	for (long i = 0; i < n; i++) {
		if (is_read) {
			if (read(fd, &byte, 1) != 1)
				return 1;
		} else if (is_fork) {
			pid_t child = fork();

			if (child < 0)
				return 1;
			if (child == 0)
				_exit(0);
			if (waitpid(child, NULL, 0) != child)
				return 1;
		} else {
			syscall(SYS_getppid);
		}
	}
	printf("%.1f\n", (now_ns() - start) / n);
	return 0;
}
