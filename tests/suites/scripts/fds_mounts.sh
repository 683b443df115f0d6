# Files on three file systems: the root one, a tmpfs mounted here and a bind mount of a
# directory, read by cat under fds_mounts.d. Everything is unmounted after.
tracer=$1
dir=$(mktemp -d /tmp/tracer-fds.XXXXXX) || exit 1
mkdir "$dir/tmpfs" "$dir/source" "$dir/bound"
mount -t tmpfs tracer-fds "$dir/tmpfs" && mount --bind "$dir/source" "$dir/bound" || exit 1
echo 'in the tmpfs' > "$dir/tmpfs/inner.txt"
echo 'through the bind mount' > "$dir/source/bound.txt"
echo 'on the root' > "$dir/outer.txt"
"$tracer" -s scripts/fds_mounts.d -c "cat $dir/outer.txt $dir/tmpfs/inner.txt $dir/bound/bound.txt"
status=$?
umount "$dir/bound" "$dir/tmpfs"
rm -rf "$dir"
exit $status
