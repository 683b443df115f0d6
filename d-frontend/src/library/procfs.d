/*
 * The process model of D on Linux: psinfo_t and lwpsinfo_t translated from the kernel's
 * struct task_struct, curpsinfo and curlwpsinfo for the current thread, and the current
 * process's working and root directories.
 *
 * Fields Linux has no value for are left out of the translators, so reading one is a
 * translation error rather than a made-up number.
 */

#pragma D depends_on module vmlinux

typedef int64_t time_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef id_t taskid_t;
typedef id_t dprojid_t;
typedef id_t poolid_t;
typedef id_t zoneid_t;

typedef struct timestruc {
	time_t tv_sec;
	long tv_nsec;
} timestruc_t;

typedef struct lwpsinfo {
	int pr_flag;
	int pr_lwpid;
	uintptr_t pr_addr;
	uintptr_t pr_wchan;
	char pr_stype;
	char pr_state;
	char pr_sname;
	char pr_nice;
	short pr_syscall;
	char pr_oldpri;
	char pr_cpu;
	int pr_pri;
	ushort_t pr_pctcpu;
	ushort_t pr_pad;
	timestruc_t pr_start;
	timestruc_t pr_time;
	char pr_clname[8];
	char pr_name[16];
	processorid_t pr_onpro;
	processorid_t pr_bindpro;
	psetid_t pr_bindpset;
	int pr_lgrp;
	int pr_filler[4];
} lwpsinfo_t;

typedef struct psinfo {
	int pr_flag;
	int pr_nlwp;
	pid_t pr_pid;
	pid_t pr_ppid;
	pid_t pr_pgid;
	pid_t pr_sid;
	uid_t pr_uid;
	uid_t pr_euid;
	gid_t pr_gid;
	gid_t pr_egid;
	uintptr_t pr_addr;
	size_t pr_size;
	size_t pr_rssize;
	size_t pr_pad1;
	struct tty_struct *pr_ttydev;
	ushort_t pr_pctcpu;
	ushort_t pr_pctmem;
	timestruc_t pr_start;
	timestruc_t pr_time;
	timestruc_t pr_ctime;
	char pr_fname[16];
	char pr_psargs[80];
	int pr_wstat;
	int pr_argc;
	uintptr_t pr_argv;
	uintptr_t pr_envp;
	char pr_dmodel;
	char pr_pad2[3];
	taskid_t pr_taskid;
	dprojid_t pr_projid;
	int pr_nzomb;
	poolid_t pr_poolid;
	zoneid_t pr_zoneid;
	id_t pr_contract;
	int pr_filler[1];
	lwpsinfo_t pr_lwp;
} psinfo_t;

/* Data models: every Linux process tracer runs beside is LP64. */
inline char PR_MODEL_ILP32 = 1;
inline char PR_MODEL_LP64 = 2;

/* The kernel's enum pid_type, which indexes signal_struct.pids. */
inline int PIDTYPE_PID = 0;
inline int PIDTYPE_TGID = 1;
inline int PIDTYPE_PGID = 2;
inline int PIDTYPE_SID = 3;

/* Thread states, from the kernel's task_struct.__state bits. */
inline int TASK_RUNNING = 0x0000;
inline int TASK_INTERRUPTIBLE = 0x0001;
inline int TASK_UNINTERRUPTIBLE = 0x0002;
inline int __TASK_STOPPED = 0x0004;
inline int __TASK_TRACED = 0x0008;
inline int TASK_DEAD = 0x0080;
inline int TASK_WAKEKILL = 0x0100;
inline int TASK_WAKING = 0x0200;

/* And from its exit_state. */
inline int EXIT_DEAD = 0x0010;
inline int EXIT_ZOMBIE = 0x0020;

inline int PR_STOPPED = 0x00000001;

/* lwpsinfo_t.pr_state values, with the letters ps prints for them in pr_sname. */
inline char SSLEEP = 1;
inline char SRUN = 2;
inline char SZOMB = 3;
inline char SSTOP = 4;
inline char SIDL = 5;
inline char SONPROC = 6;
inline char SWAIT = 7;

/* si_code values of SIGCHLD, as proc:::exit reports them. */
inline int CLD_EXITED = 1;
inline int CLD_KILLED = 2;
inline int CLD_DUMPED = 3;
inline int CLD_TRAPPED = 4;
inline int CLD_STOPPED = 5;
inline int CLD_CONTINUED = 6;

/*
 * A time since the epoch, from a kernel CLOCK_MONOTONIC time in nanoseconds (what
 * task_struct.start_time holds): moved by the current distance between the two clocks.
 */
translator timestruc_t < uint64_t MONO > {
	tv_sec = (walltimestamp - timestamp + MONO) / 1000000000;
	tv_nsec = (walltimestamp - timestamp + MONO) % 1000000000;
};

translator psinfo_t < struct task_struct *T > {
	pr_nlwp = T->signal->nr_threads;
	pr_pid = T->tgid;
	pr_ppid = T->real_parent->tgid;
	pr_pgid = T->signal->pids[PIDTYPE_PGID]->numbers[0].nr;
	pr_sid = T->signal->pids[PIDTYPE_SID]->numbers[0].nr;
	pr_uid = T->real_cred->uid.val;
	pr_euid = T->real_cred->euid.val;
	pr_gid = T->real_cred->gid.val;
	pr_egid = T->real_cred->egid.val;
	pr_addr = (uintptr_t)T;
	pr_ttydev = T->signal->tty != NULL ? T->signal->tty : (struct tty_struct *)-1;
	pr_start = xlate <timestruc_t> (T->group_leader->start_time);
	pr_fname = T->comm;
	pr_psargs = T == curthread ? execargs : stringof(T->comm);
	pr_wstat = T->exit_code;
	pr_argc = T == curthread && T->mm != NULL ?
	    *(int *)copyin(T->mm->start_stack, sizeof(int)) : 0;
	pr_argv = T->mm != NULL ? T->mm->start_stack + sizeof(long) : 0;
	pr_envp = T == curthread && T->mm != NULL ? T->mm->start_stack +
	    (*(long *)copyin(T->mm->start_stack, sizeof(long)) + 2) * sizeof(long) : 0;
	pr_dmodel = PR_MODEL_LP64;
	pr_taskid = 0;
	pr_projid = 0;
	pr_nzomb = 0;
	pr_poolid = 0;
	pr_zoneid = 0;
	pr_contract = 0;
};

translator lwpsinfo_t < struct task_struct *T > {
	pr_flag = (T->__state & (__TASK_STOPPED | __TASK_TRACED)) ? PR_STOPPED : 0;
	pr_lwpid = T->pid;
	pr_addr = (uintptr_t)T;
	pr_wchan = 0;
	pr_stype = 0;
	pr_state = (T->exit_state & (EXIT_ZOMBIE | EXIT_DEAD)) ? SZOMB :
	    (T->__state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)) ? SSLEEP :
	    (T->__state & (__TASK_STOPPED | __TASK_TRACED)) ? SSTOP :
	    (T->__state & TASK_DEAD) ? SZOMB :
	    (T->__state & (TASK_WAKEKILL | TASK_WAKING)) ? SWAIT :
	    T == curthread ? SONPROC : SRUN;
	pr_sname = (T->exit_state & (EXIT_ZOMBIE | EXIT_DEAD)) ? 'Z' :
	    (T->__state & TASK_INTERRUPTIBLE) ? 'S' :
	    (T->__state & TASK_UNINTERRUPTIBLE) ? 'D' :
	    (T->__state & __TASK_STOPPED) ? 'T' :
	    (T->__state & __TASK_TRACED) ? 't' :
	    (T->__state & TASK_DEAD) ? 'X' :
	    (T->__state & (TASK_WAKEKILL | TASK_WAKING)) ? 'W' : 'R';
	pr_pri = T->prio;
	pr_start = xlate <timestruc_t> (T->start_time);
	pr_name = T->comm;
	pr_onpro = T->thread_info.cpu;
	pr_bindpro = -1;
	pr_bindpset = -1;
};

inline psinfo_t *curpsinfo = xlate <psinfo_t *> (curthread);
inline lwpsinfo_t *curlwpsinfo = xlate <lwpsinfo_t *> (curthread);

/* The current process's working directory and root, as /proc/PID/cwd and root show them. */
inline string cwd = d_path(&curthread->fs->pwd);
inline string root = d_path(&curthread->fs->root);
