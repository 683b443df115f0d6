/* Attributes of a global the program declares are accepted. */
int x;
#pragma D attributes Evolving/Evolving/Common x
BEGIN { x = 4; exit(x); }
