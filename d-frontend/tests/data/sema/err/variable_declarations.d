int x;
char x;
this int locals[int];
int timestamp;
