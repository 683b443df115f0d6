/* The library providers2_dlopen_host.c loads with dlopen. */
__attribute__((noipa)) int plugin_add(int a, int b)
{
	return a + b;
}
