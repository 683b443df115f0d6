44 20
tracer tracer 7

