/*
 * Counts in global variables rather than aggregations: an aggregation's first entry on a CPU can
 * be lost when it is made under the scheduler's locks (its map allocates elements on demand).
 */
int paired, others, selfs, sleeps, wakeups, queued, dequeued;

/* on-cpu fires in the thread that starts running, off-cpu in the one that stops. */
sched:::on-cpu /pid == $target/ { self->on = 1; }
sched:::off-cpu /self->on/ { paired++; self->on = 0; }
sched:::off-cpu /pid == $target/ { others += args[1]->pr_pid != $target; selfs += args[1]->pr_pid == $target; }
sched:::sleep /pid == $target/ { sleeps++; }
sched:::wakeup /args[1]->pr_pid == $target/ { wakeups++; }
/* The target waits on a run queue between being woken and running. */
sched:::enqueue /args[1]->pr_pid == $target/ { queued = args[0]->pr_lwpid; }
sched:::dequeue /queued && args[0]->pr_lwpid == queued/ { dequeued++; queued = 0; }
END
{
	printf("paired %d\n", paired > 0);
	printf("next is other %d\n", others > 0);
	printf("next is self %d\n", selfs);
	printf("sleep %d\n", sleeps > 0);
	printf("wakeup %d\n", wakeups > 0);
	printf("enqueued then dequeued %d\n", dequeued > 0);
}
