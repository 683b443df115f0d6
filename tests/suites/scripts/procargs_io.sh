#!/bin/sh
# Writes three 16 KiB blocks with O_DIRECT to a file on /var/tmp while tracer ($1) prints what
# io:::start sees of them, then prints the device the file is on as stat and sysfs name it.
d=$(mktemp -d -p /var/tmp) || exit 1
"$1" -qn 'io:::start /pid == $target/ { printf("io %d %s %s %d %d %x\n", args[0]->b_bcount, args[1]->dev_statname, args[1]->dev_pathname, args[1]->dev_major, args[1]->dev_minor, args[0]->b_flags & (B_READ | B_WRITE)); }' -c "dd if=/dev/zero of=$d/f bs=16k count=3 oflag=direct status=none"
s=$?
major=$(stat -c %Hd "$d/f")
minor=$(stat -c %Ld "$d/f")
name=$(sed -n 's/^DEVNAME=//p' "/sys/dev/block/$major:$minor/uevent")
echo "file $name /dev/$name $major $minor"
rm -r "$d"
exit $s
