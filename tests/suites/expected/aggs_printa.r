write    fd 1: 1 calls
read     fd 3: 2 calls
[     -12] [-12     ] [fffffffffffffff4] [18446744073709551604]
[    4096] [4096    ] [1000] [    4096]
write/1=-12 read/3=+4096 
mean 9223372036854775797
distribution:
           value  ------------- Distribution ------------- count    
               1 |                                         0        
               2 |@@@@@@@@@@@@@@@@@@@@                     1        
               4 |@@@@@@@@@@@@@@@@@@@@                     1        
               8 |                                         0        

  write                                                     1                1
  read                                                      3                2
end

