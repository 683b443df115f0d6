syscall::read:entry
/(a / b) > 1 && arg0 / 2 > c/
{
	x = a / b;
}

syscall::write:entry
/pid == $target/
{
}
