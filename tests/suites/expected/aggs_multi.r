default layout:
  delta                                                             0               -5                0
  gamma                                                             1                0                9
  alpha                                                             1              300                0
  beta                                                              2               50               -9
delta  0 -5 0
gamma  1 0 9
alpha  1 300 0
beta   2 50 -9
sorted from the second aggregation:
delta  0 -5 0
gamma  1 0 9
beta   2 50 -9
alpha  1 300 0
the same aggregation twice:
delta  -5 -5
beta   50 50
alpha  300 300

