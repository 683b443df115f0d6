#include "options_cpp.h"
#define TWICE(x) ((x) * 2)

START
{
	trace(TWICE(nosuch));
}
