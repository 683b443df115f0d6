
  a                                                                 1
  b                                                                 1
  c                                                                 2
        3  three                                              -9223372036854775808
        2  two                                                             -20
        1  one                                                              10
        1  uno                                                              10
  down                                                             -7
  up                                                                7
              -12
               -5
  flat                                                              0
  spread                                                           21
  large                                                           150
