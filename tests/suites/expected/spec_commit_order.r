ids 1 2 3
before the commits
third, 3
first, kept until its commit
first again
after the commits

