/*
 * The target of the uprobemulti suite's process filter case: main calls getppid() once, then
 * four threads call it five times each (21 calls in the process), then a forked child calls it
 * a hundred times, which are another process's calls.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static void *five_calls(void *unused)
{
	(void)unused;
	for (int i = 0; i < 5; i++)
		getppid();
	return NULL;
}

int main(void)
{
	pthread_t threads[4];

	getppid();
	for (int i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, five_calls, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	pid_t child = fork();
	if (child == 0) {
		for (int i = 0; i < 100; i++)
			getppid();
		_exit(0);
	}
	waitpid(child, NULL, 0);
	return 0;
}
