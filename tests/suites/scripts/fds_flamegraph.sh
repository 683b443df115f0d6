# -x flamegraph=FILE draws dd's kernel stacks; the file must parse as SVG and name the sampled
# kernel functions.
tracer=$1
svg=$(mktemp /tmp/tracer-flame.XXXXXX) || exit 1
"$tracer" -x flamegraph="$svg" -qn 'profile-997 /pid == $target/ { @[execname, stack()] = count(); }' -c 'dd if=/dev/zero of=/dev/null bs=1M count=3000' > /dev/null || exit 1
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as tree; print(tree.parse(sys.argv[1]).getroot().tag)' "$svg"
grep -o 'vmlinux`[A-Za-z_0-9.]*' "$svg" | sort -u
status=$?
rm -f "$svg"
exit $status
