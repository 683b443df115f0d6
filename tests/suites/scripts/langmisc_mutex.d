/* The lock subroutines over the calling process's cred_guard_mutex, which is not held. */
#pragma D option quiet

syscall::getppid:entry
/pid == $target/
{
	this->m = &curthread->signal->cred_guard_mutex;
	printf("%d %d %d %d\n", mutex_owned(this->m), mutex_owner(this->m) == NULL,
	    mutex_type_adaptive(this->m), mutex_type_spin(this->m));
}
