/* Included by options_cpp_header_error.d: line 3 has an undefined variable. */
BEGIN
{ trace(nosuch); }
