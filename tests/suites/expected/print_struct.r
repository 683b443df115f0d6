ADDR = *
                                            (struct shape) {
                                             .id = (unsigned int)7,
                                             .tag = (char [6]) [
                                              (char)'b',
                                              (char)'o',
                                              (char)'x',
                                             ],
                                             .at = (struct point) {
                                              .x = (short)-3,
                                              .y = (short)300,
                                             },
                                             .v = (union) {
                                              .small = (unsigned char)2,
                                              .wide = (long)258,
                                             },
                                             .owner = (void *)0xabcdef,
                                             .delta = (int)-1,
                                            }
ADDR = *
                                            (struct shape) {
                                             .id = (unsigned int)7,
                                             .tag = (char [6]) [
                                              (char)'b',
                                              (char)'o',
                                              (char)'x',
                                             ],
                                             .at = (struct point) {
                                              .x = (short)-3,
                                              .y = (short)300,
                                             ...
                                             },
                                            }

