/*
 * The host of the dlopen cases: it loads libplugin.so (found along its run path, $ORIGIN) only
 * once it runs, after tracer has attached, calls plugin_add(2, 3) twice and prints the sum of
 * the results, 10. With an argument it first waits until a file of that name exists, which
 * tracer creates once it has grabbed the process with -p.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1)
		while (access(argv[1], F_OK) != 0)
			usleep(10000);
	void *plugin = dlopen("libplugin.so", RTLD_NOW);
	if (plugin == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	int (*add)(int, int) = (int (*)(int, int))dlsym(plugin, "plugin_add");
	if (add == NULL)
		return 1;
	printf("total %d\n", add(2, 3) + add(2, 3));
	return 0;
}
