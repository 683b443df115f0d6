2 2 1
BEGIN     |1
a         |1
dtrace    |1
tracer    |2
[              tracer] 1      11
[tracer-with-a-suffix-past-sixteen-bytes] 3       7
[                 zzz] 2       5
BEGIN 1
a 1
dtrace 1
tracer 2

