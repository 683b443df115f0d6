normalized d -571
normalized a 142
normalized b 285
normalized c 428


           value  ------------- Distribution ------------- count    
               2 |                                         0        
               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 15       
               4 |                                         0        

denormalized d -4000
denormalized a 1000
denormalized b 2000
denormalized c 3000
largest two b 2000
largest two c 3000
smallest three w 1
smallest three x 2
smallest three y 3
smallest one w 1
cleared b 0
cleared c 0
cleared high 9223372036854775807
cleared low 9223372036854775807
after clear b 0
after clear c 0
after clear e 5
after clear a 6
after clear low 4
after clear high 9223372036854775807

