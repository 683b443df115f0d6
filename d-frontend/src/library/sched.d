/*
 * The CPU a probe fires on: cpuinfo_t, which curcpu points to, and the inlines D defines from
 * it (processorid_t and psetid_t serve procfs.d too). cpu itself is a built-in variable.
 */

typedef int processorid_t;
typedef int psetid_t;
typedef int chipid_t;
typedef int lgrp_id_t;

typedef struct cpuinfo {
	processorid_t cpu_id;
	psetid_t cpu_pset;
	chipid_t cpu_chip;
	lgrp_id_t cpu_lgrp;
} cpuinfo_t;

typedef cpuinfo_t *cpuinfo_t_p;

/*
 * A CPU by its number, as sched:::enqueue and dequeue give the CPU of the run queue: the same
 * members curcpu has for the CPU it describes.
 */
translator cpuinfo_t < processorid_t C > {
	cpu_id = C;
	cpu_pset = 0;
	cpu_chip = 0;
	cpu_lgrp = 0;
};

inline psetid_t pset = curcpu->cpu_pset;
inline chipid_t chip = curcpu->cpu_chip;
inline lgrp_id_t lgrp = curcpu->cpu_lgrp;
