BEGIN { trace(1) }
BEGIN { }
BEGIN { ; }
BEGIN { trace(1); trace(2) }
BEGIN { a = 1, b = 2; }
