/*
 * The target of the pid suite. go() takes ten arguments (six in registers, four on the stack)
 * and returns their sum, 45; main calls it once, then calls getppid() three times, then fires
 * the USDT probes app:tick three times (a negative int, a long too large for 32 bits and a string
 * on the stack) and app:guarded, whose semaphore tells the program whether a tracer enabled
 * it, and prints whether it was. With the argument "wait" it calls go() every 50 ms until it is
 * killed, for the -p cases. noipa keeps the compiler from seeing that go() has no side effects
 * and calling it once for the whole loop.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

unsigned short app_tick_semaphore __attribute__((section(".probes")));
unsigned short app_guarded_semaphore __attribute__((section(".probes")));

__attribute__((noipa)) long go(long a, long b, long c, long d, long e, long f, long g, long h,
				  long i, long j)
{
	return a + b + c + d + e + f + g + h + i + j;
}

__attribute__((noipa)) int work(int i)
{
	char name[8] = "job";

	DTRACE_PROBE3(app, tick, -i, 1000000000000L * i, name);
	if (app_guarded_semaphore)
		STAP_PROBE1(app, guarded, i * 10);
	return i;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		for (;;) {
			go(9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
			usleep(50000);
		}
	}
	long sum = go(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
	for (int i = 0; i < 3; i++)
		getppid();
	for (int i = 1; i <= 3; i++)
		work(i);
	printf("sum %ld semaphore %d\n", sum, app_guarded_semaphore != 0);
	return 0;
}
