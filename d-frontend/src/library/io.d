/*
 * Files: fileinfo_t translated from the kernel's struct file, and fds[], the current process's
 * open files by descriptor. Paths are walked in BPF by d_path, so fi_pathname is what
 * /proc/PID/fd/N shows. Block I/O: bufinfo_t and devinfo_t translated from the kernel's struct
 * bio, the io provider's args[0] and args[1].
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

typedef char *caddr_t;

typedef struct bufinfo {
	int b_flags;
	size_t b_bcount;
	caddr_t b_addr;
	uint64_t b_lblkno;
	uint64_t b_blkno;
	size_t b_resid;
	size_t b_bufsize;
	caddr_t b_iodone;
	int b_error;
	dev_t b_edev;
} bufinfo_t;

/* b_flags bits. */
inline int B_BUSY = 0x000001;
inline int B_DONE = 0x000002;
inline int B_ERROR = 0x000004;
inline int B_PAGEIO = 0x000010;
inline int B_PHYS = 0x000020;
inline int B_READ = 0x000040;
inline int B_WRITE = 0x000100;
inline int B_ASYNC = 0x000400;

/*
 * The kernel's bio flags: the operation is in the low 8 bits of bi_opf and writes are odd
 * operations, REQ_SYNC is bit 11, and BIO_PAGE_PINNED in bi_flags marks a bio on pinned user
 * pages (O_DIRECT), which Solaris calls physical I/O.
 */
inline int REQ_OP_MASK = 0xff;
inline int REQ_SYNC = 0x800;
inline int BIO_PAGE_PINNED = 0;

/*
 * A bio has no one buffer address (its data is a list of pages), so b_addr is 0, as in Oracle
 * DTrace; so is b_resid, as a bio is done with all of it or failed. b_error is the bio's
 * blk_status_t, 0 until it fails.
 */
translator bufinfo_t < struct bio *B > {
	b_flags = ((B->bi_opf & REQ_OP_MASK) & 1 ? B_WRITE : B_READ) |
	    (B->bi_opf & REQ_SYNC ? 0 : B_ASYNC) |
	    (B->bi_flags & (1 << BIO_PAGE_PINNED) ? B_PHYS : B_PAGEIO);
	b_bcount = B->bi_iter.bi_size;
	b_addr = 0;
	b_resid = 0;
	b_lblkno = B->bi_iter.bi_sector;
	b_blkno = B->bi_iter.bi_sector;
	b_bufsize = B->bi_iter.bi_size;
	b_iodone = (caddr_t)B->bi_end_io;
	b_error = B->bi_status;
	b_edev = B->bi_bdev == NULL ? 0 : B->bi_bdev->bd_dev;
};

typedef struct devinfo {
	int dev_major;
	int dev_minor;
	int dev_instance;
	string dev_name;
	string dev_statname;
	string dev_pathname;
} devinfo_t;

/*
 * The device a bio is for: dev_statname is the kernel's name for the disk or partition (vda,
 * vda1, nvme0n1p1), dev_pathname its devtmpfs node, dev_name the disk's driver (its module, or
 * the driver of the device the disk is on), and dev_instance the disk's number among its
 * driver's (its first minor over the minors per disk).
 */
translator devinfo_t < struct bio *B > {
	dev_major = B->bi_bdev == NULL ? 0 : getmajor(B->bi_bdev->bd_dev);
	dev_minor = B->bi_bdev == NULL ? 0 : getminor(B->bi_bdev->bd_dev);
	dev_instance = B->bi_bdev == NULL || B->bi_bdev->bd_disk->minors == 0 ? 0 :
	    B->bi_bdev->bd_disk->first_minor / B->bi_bdev->bd_disk->minors;
	dev_name = B->bi_bdev == NULL ? "<unknown>" :
	    B->bi_bdev->bd_disk->fops->owner != NULL ?
	    stringof(B->bi_bdev->bd_disk->fops->owner->name) :
	    B->bi_bdev->bd_device.parent != NULL &&
	    B->bi_bdev->bd_device.parent->driver != NULL ?
	    stringof(B->bi_bdev->bd_device.parent->driver->name) : "<unknown>";
	dev_statname = B->bi_bdev == NULL ? "<unknown>" :
	    stringof(B->bi_bdev->bd_device.kobj.name);
	dev_pathname = B->bi_bdev == NULL ? "<unknown>" :
	    strjoin("/dev/", stringof(B->bi_bdev->bd_device.kobj.name));
};
