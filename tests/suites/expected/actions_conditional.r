CPU     ID                    FUNCTION:NAME
  0      1                           :BEGIN before
  0      1                           :BEGIN then          1
  0      1                           :BEGIN after
  0      1                           :BEGIN 

