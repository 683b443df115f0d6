syscall::openat:entry, syscall:::entry, profile:::tick-100ms,
tick-1s, BEGIN, END, pid$target:a.out:main:entry, syscall::read*:entry,
fbt:vmlinux:vfs_?ead:entry, :::, syscall::open*:,fbt::[a-c]*:entry
{
}
