abcde

