/usr usr / 8 16
1 2 20 8

