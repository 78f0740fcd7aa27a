/* Record layout shared by sensor.bpf.c and the Python decoder (mamori/sensor/layout.py).
 *
 * Every record in the ring buffer is one `struct evt_hdr` followed by tagged blobs:
 * [u8 tag][u16 len little-endian][len bytes], back to back, up to hdr.size bytes.
 * Change this file and layout.py together.
 */
#ifndef MAMORI_SENSOR_H
#define MAMORI_SENSOR_H

#define NR_SYSCALLS 512       /* size of the per-syscall spec table */
#define EV_PROCEXIT 1000      /* hdr.nr for the sched_process_exit event */

/* argument kinds in struct sc_spec.kind[] */
#define K_NONE 0
#define K_PATH 1       /* user path, relative to the cwd */
#define K_PATH_AT 2    /* user path, relative to the dirfd in arg dirfd[i] */
#define K_STR 3        /* user string, taken as is */
#define K_SOCKADDR 4   /* user sockaddr, its length in the next argument */
#define K_SOCKADDR_LP 5 /* user sockaddr, a pointer to its length in the next argument */
#define K_MSGHDR 6     /* user struct msghdr: its msg_name */
#define K_FDPAIR 7     /* user int[2] (pipe, socketpair) */
#define K_U64PTR 8     /* 3 user u64 (struct clone_args, struct open_how) */

/* struct sc_spec.extra bits */
#define X_TUPLE_A0 1   /* socket tuple of the fd in arg 0 */
#define X_TUPLE_RET 2  /* socket tuple of the fd returned */
#define X_FILE_RET 4   /* dev/ino of the fd returned */
#define X_EXEC 8       /* exe, argv, cwd, proc blob (execve/execveat) */
#define X_CLONE 16     /* argv, proc blob; emitted in the child too */
#define X_FILE_A0 32   /* dev/ino of the fd in arg 0 */

/* blob tags */
#define T_ARG0 0       /* 0..5: the blob of argument i */
#define T_BASE0 8      /* 8..13: directory a relative path of argument i is relative to */
#define T_TUPLE 16
#define T_FILE 17
#define T_EXE 18
#define T_ARGV 19
#define T_CWD 20
#define T_PROC 21
#define T_ENV 22

/* proc blob flags (Falco's execve "flags" bits, then ours) */
#define PF_EXE_WRITABLE 1
#define PF_EXE_UPPER_LAYER 2
#define PF_EXE_FROM_MEMFD 4
#define PF_EXE_LOWER_LAYER 8
#define PF_EXE_DELETED 0x10000

struct sc_spec {
	unsigned char wanted;
	unsigned char kind[6];
	unsigned char dirfd[6];
	unsigned char extra;
};

struct sensor_config {
	unsigned int self_tgid;     /* events of the agent itself are not captured */
	unsigned int wakeup_every;  /* force a consumer wake-up every N records per CPU */
	unsigned int want_procexit;
	unsigned int wakeup_bytes;  /* force a wake-up once this much data waits in the ring */
};

struct evt_hdr {
	unsigned short size;
	unsigned short nr;           /* syscall number, or EV_* */
	unsigned short cpu;
	unsigned short flags;
	unsigned long long ts;       /* CLOCK_BOOTTIME ns */
	long long ret;
	unsigned long long args[6];
	unsigned int tid;
	/* The task context, kept last and contiguous: it is the same for every event of a
	 * process until its credentials, namespaces, cgroup or comm change, so the decoder
	 * looks these 60 bytes up in a cache instead of unpacking them per event. */
	unsigned int pid, ppid, uid, gid, euid, loginuid, pidns, mntns, netns;
	unsigned long long cgroup_id;
	char comm[16];
};

struct proc_blob {
	unsigned long long exe_ino;
	unsigned long long exe_ctime;
	unsigned long long exe_mtime;
	unsigned long long cap_inheritable;
	unsigned long long cap_permitted;
	unsigned long long cap_effective;
	unsigned long long fdlimit;
	unsigned long long pidns_init_start_ts;
	unsigned int exe_dev;
	unsigned int flags;
	unsigned int vtid, vpid, vpgid, sid;
	unsigned int tty;
	unsigned int egid;
};

struct file_blob {
	unsigned long long ino;
	unsigned int dev;
	unsigned int flags;          /* PF_EXE_UPPER_LAYER etc. for the file */
};

#endif
