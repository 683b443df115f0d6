strjoin [foobar] []
substr [world] [llo] [hello] [he] [ell] []
strlen 5 0
index 0 6 0 -1
rindex 6 3 6 -1
strchr [llo] [lo] 1
strstr [barbaz] 1
case [HELLO, WORLD] [hello, world]
lltostr [0] [-42] [9223372036854775807] [0xff] [010]
basename [.] [/] [b] [libc.so.6] [name]
dirname [.] [/] [a] [/usr/lib] [.]
strtok [Carrots] [Barley] [Oatmeal] [Beans] 1
compare 1 1 1 1 1

