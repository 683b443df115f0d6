from the first clause
3 1 1 v u/v/
stored 6

