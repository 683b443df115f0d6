123 BEGIN 1 124
30 124 125
negative positive
6 BEGIN

