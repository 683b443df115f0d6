begin goes on
tick 2

