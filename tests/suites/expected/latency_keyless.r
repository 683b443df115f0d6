count 2 sum 7 avg 6
min -2 max 9 stddev 2
cleared: count 0
cleared: min 9223372036854775807
cleared: max -9223372036854775808
end: count 1 min 7
end: sum 4


           value  ------------- Distribution ------------- count    
               1 |                                         0        
               2 |@@@@@@@@@@@@@@@@@@@@                     1        
               4 |                                         0        
               8 |                                         0        
              16 |                                         0        
              32 |                                         0        
              64 |@@@@@@@@@@@@@@@@@@@@                     1        
             128 |                                         0        


           value  ------------- Distribution ------------- count    
               0 |                                         0        
               2 |@@@@@@@@@@@@@@@@@@@@                     1        
               4 |                                         0        
               6 |                                         0        
               8 |                                         0        
           >= 10 |@@@@@@@@@@@@@@@@@@@@                     1        


           value  ------------- Distribution ------------- count    
              90 |                                         0        
             100 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        
             200 |                                         0        

