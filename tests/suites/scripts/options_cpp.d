#!/usr/sbin/tracer -Cqs
#include "options_cpp.h"

#ifdef __linux
START
{
	printf("%s %d %s\n", GREETING, VALUE, __SUNW_D_VERSION >= 0x02000000 ? "v2" : "v1");
	exit(0);
}
#endif
