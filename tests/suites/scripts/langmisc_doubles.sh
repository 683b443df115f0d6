#!/bin/sh
# Writes three doubles (pi, -10, 1e-5) and two floats (1.5, -0.25) in little-endian IEEE form
# to /dev/null, for langmisc_float_values.d to read back from the write(2) buffer.
printf '\030\055\104\124\373\041\011\100\000\000\000\000\000\000\044\300\361\150\343\210\265\370\344\076\000\000\300\077\000\000\200\276' > /dev/null
