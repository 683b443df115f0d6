first 10
second 20
missing 0
deleted 0
thread-local 5 0

                1                1
       4294967296                2
 65534                5

             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef
         0: 01 00 00 00 7a 00 00 00 ff ff ff ff ff ff ff ff  ....z...........
        7                3
  ok                                                                1
  DCBA                                                              2
