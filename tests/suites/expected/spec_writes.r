write of 3 bytes to fd 1

