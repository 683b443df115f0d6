syscall:::entry { self->start = timestamp; self->file = fds[arg0].fi_pathname; }
syscall:::return /(timestamp - self->start) > 1073741824/ {
    printf("%d ns on %s", timestamp - self->start, self->file); self->start = 0; }
