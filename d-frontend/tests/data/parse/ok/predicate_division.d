syscall::write:entry
/arg0 > 10 && x/
{
}

syscall::write:entry
/(arg2 / 1024) > 1/
{
}

syscall::write:entry
/arg2 / 1024 > 1 && arg2 % 2 == 0/
{
}
