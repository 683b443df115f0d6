/* The error is in the included file, on its line 3. */
#include "options_cpp_header_error.h"
