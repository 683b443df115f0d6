/*
 * Files: fileinfo_t translated from the kernel's struct file, and fds[], the current process's
 * open files by descriptor. Paths are walked in BPF by d_path, so fi_pathname is what
 * /proc/PID/fd/N shows.
 */

#pragma D depends_on module vmlinux

typedef struct fileinfo {
	string fi_name;
	string fi_dirname;
	string fi_pathname;
	loff_t fi_offset;
	string fi_fs;
	string fi_mount;
	int fi_oflags;
} fileinfo_t;

/*
 * open(2) flags, to test fi_oflags with: the values every architecture shares (O_DIRECTORY and
 * O_NOFOLLOW differ between them, so they are left out).
 */
inline int O_ACCMODE = 00000003;
inline int O_RDONLY = 00000000;
inline int O_WRONLY = 00000001;
inline int O_RDWR = 00000002;
inline int O_CREAT = 00000100;
inline int O_EXCL = 00000200;
inline int O_NOCTTY = 00000400;
inline int O_TRUNC = 00001000;
inline int O_APPEND = 00002000;
inline int O_NONBLOCK = 00004000;
inline int O_NDELAY = 00004000;
inline int O_DSYNC = 00010000;
inline int O_ASYNC = 00020000;
inline int O_CLOEXEC = 02000000;
inline int O_SYNC = 04010000;
inline int O_FSYNC = 04010000;
inline int O_RSYNC = 04010000;

/*
 * A struct file pointer that stands for a descriptor no file can have (a negative one): its
 * fields read "<unknown>", while a descriptor with no file open reads "<none>".
 */
inline struct file *FILE_INVALID = (struct file *)-1;

translator fileinfo_t < struct file *F > {
	fi_name = F == NULL ? "<none>" : F == FILE_INVALID ? "<unknown>" :
	    basename(d_path(&F->f_path));
	fi_dirname = F == NULL ? "<none>" : F == FILE_INVALID ? "<unknown>" :
	    dirname(d_path(&F->f_path));
	fi_pathname = F == NULL ? "<none>" : F == FILE_INVALID ? "<unknown>" :
	    d_path(&F->f_path);
	fi_offset = F == NULL || F == FILE_INVALID ? 0 : F->f_pos;
	fi_fs = F == NULL ? "<none>" : F == FILE_INVALID ? "<unknown>" :
	    stringof(F->f_path.mnt->mnt_sb->s_type->name);
	fi_mount = F == NULL ? "<none>" : F == FILE_INVALID ? "<unknown>" :
	    d_mountpath(&F->f_path);
	fi_oflags = F == NULL || F == FILE_INVALID ? 0 : F->f_flags;
};

inline fileinfo_t fds[int fd] = xlate <fileinfo_t> (
    fd < 0 ? FILE_INVALID :
    curthread->files == NULL || fd >= curthread->files->fdt->max_fds ? (struct file *)NULL :
    curthread->files->fdt->fd[fd]);
