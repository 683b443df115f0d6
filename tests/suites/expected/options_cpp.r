hello from cpp 7 v2

