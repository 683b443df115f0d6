n = 1
ERROR fired
after the fault, n = 1

