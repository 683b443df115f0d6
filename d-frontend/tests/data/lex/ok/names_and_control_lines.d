#!/usr/sbin/dtrace -s
#pragma D option quiet
  #pragma D option bufsize=16k

/* A comment before the clause. */
BEGIN // and one after the description
{
	x = $target + $1 + $$1 + $pid;
	@ = count();
	@counts[execname] = count();
	y = self->string + this->if + a.self;
	z = `max_pfn + vmlinux`jiffies;
}
