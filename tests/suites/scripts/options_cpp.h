/* Included by options_cpp.d: a macro and a probe name. */
#define GREETING "hello from cpp"
#define START BEGIN
