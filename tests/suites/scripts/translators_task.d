#pragma D option quiet

/*
 * A translator from the kernel's task to a small process view, read through an inline standing
 * for the translated pointer, in a predicate, in printf, as aggregation keys and with trace.
 */
struct proc_view {
	int pid;
	int ppid;
	char name[16];
	string upper;
	long twice;
};

translator struct proc_view < struct task_struct *t >
{
	pid = t->tgid;
	ppid = t->real_parent->tgid;
	name = t->comm;
	upper = toupper(stringof(t->comm));
	twice = t->tgid * 2;
};

inline struct proc_view *me = xlate<struct proc_view *>(curthread);

syscall::getppid:entry
/me->pid == $target && xlate<struct proc_view>(curthread).twice == 2 * pid/
{
	printf("%d %d %s %s\n", me->pid == pid, me->ppid == ppid, me->name, me->upper);
	@calls[me->name, xlate<struct proc_view *>(curthread)->twice / 2 == pid] = count();
	trace(me->twice == 2 * pid);
	printf("\n");
}
