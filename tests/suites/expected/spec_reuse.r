tick 0: speculation 1
  kept from tick 0
tick 1: speculation 1
tick 2: speculation 1
  kept from tick 2

