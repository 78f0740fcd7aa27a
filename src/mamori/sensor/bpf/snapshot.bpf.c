// SPDX-License-Identifier: GPL-2.0
/* mamori's start-up snapshot: a BPF task iterator (iter/task) that writes one fixed-size
 * record per task (every thread, kernel threads included) alive when it is read.
 *
 * A separate object from sensor.bpf.o on purpose: it is loaded once at agent start-up,
 * read, and closed, so a verifier or CO-RE problem here can never stop the live sensor
 * (the agent then falls back to /proc). The Python side is mamori/sensor/snapshot_iter.py,
 * which mirrors `struct snap_rec` (change both together).
 *
 * Values are the ones the live sensor puts in its records, read the same way, so a
 * snapshot thread and a live event of it agree: global tid/tgid, real_parent's tgid,
 * credentials, the default-hierarchy cgroup id (what bpf_get_current_cgroup_id returns in
 * the sensor, here for the iterated task), pid/mnt/net namespace inodes, vtid/vpid/pgid/sid
 * in the task's own pid namespace, the tty in new_encode_dev form, and the exe flags.
 *
 * The program is not sleepable: it cannot read other processes' user memory (argv, env)
 * and does not walk paths (cwd, exe path); /proc gives those. Every pointer is read with
 * bpf_probe_read_kernel (BPF_CORE_READ), so a task exiting while it is visited yields
 * zeros, never a fault.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sensor.h" /* PF_EXE_* flag values, shared with the live sensor */

char LICENSE[] SEC("license") = "GPL";

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((void *)(ptr) - bpf_core_field_offset(type, member)))
#endif

/* snap_rec.flags beyond the PF_EXE_* bits */
#define SF_KTHREAD 0x100000   /* task->flags & PF_KTHREAD */
#define SF_EXITING 0x200000   /* task->exit_state != 0 (zombie or dead) */
#define SF_NO_MM 0x400000     /* no mm: kernel thread or exited process */

#define PF_KTHREAD 0x00200000
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

struct snap_rec {
	u32 size;            /* sizeof(struct snap_rec): the reader checks it */
	u32 tid, pid, ptid;  /* global: task->pid, task->tgid, real_parent->tgid */
	u32 uid, gid, euid, egid;
	u32 loginuid, sessionid;
	u32 pidns, mntns, netns;
	u32 vtid, vpid, vpgid, sid;
	u32 tty;
	u32 flags;
	u32 exe_dev;         /* kernel dev_t (major << 20 | minor) */
	u32 pidns_level;     /* depth of the task's pid namespace (0: the initial one) */
	u32 pad;
	u64 start_boottime;  /* ns since boot, CLOCK_BOOTTIME (as /proc/PID/stat starttime) */
	u64 cgroup_id;
	u64 exe_ino;
	u64 cap_inheritable, cap_permitted, cap_effective;
	u64 fdlimit;
	u64 pidns_init_start_ts;
	char comm[16];
};

/* The upid of a pid in its deepest pid namespace (same as the live sensor's task_upid). */
static __always_inline struct upid task_upid(struct pid *pid)
{
	struct upid u = {};
	if (!pid)
		return u;
	u32 level = BPF_CORE_READ(pid, level) & 31;
	bpf_probe_read_kernel(&u, sizeof(u), &pid->numbers[level]);
	return u;
}

/* exe inode, dev and PF_EXE_* flags, computed as the live sensor's put_proc/inode_info. */
static __always_inline void exe_info(struct snap_rec *r, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (!mm) {
		r->flags |= SF_NO_MM;
		return;
	}
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	if (!exe)
		return;
	struct inode *inode = BPF_CORE_READ(exe, f_inode);
	if (!inode)
		return;
	r->exe_ino = BPF_CORE_READ(inode, i_ino);
	r->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (BPF_CORE_READ(inode, __i_nlink) == 0)
		r->flags |= PF_EXE_DELETED;
	if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
		if (BPF_CORE_READ(oi, __upperdentry))
			r->flags |= PF_EXE_UPPER_LAYER;
		else
			r->flags |= PF_EXE_LOWER_LAYER;
	}
	char head[6] = {};
	bpf_probe_read_kernel(head, sizeof(head), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
	if (head[0] == 'm' && head[1] == 'e' && head[2] == 'm' && head[3] == 'f' &&
	    head[4] == 'd' && head[5] == ':')
		r->flags |= PF_EXE_FROM_MEMFD;
	u32 mode = BPF_CORE_READ(inode, i_mode);
	if ((BPF_CORE_READ(inode, i_uid.val) == r->euid && (mode & 0200)) ||
	    (BPF_CORE_READ(inode, i_gid.val) == r->egid && (mode & 020)) || (mode & 02))
		r->flags |= PF_EXE_WRITABLE;
}

SEC("iter/task")
int snapshot_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct snap_rec r = {};
	if (!task)
		return 0; /* the final call after the last task */
	r.size = sizeof(r);
	r.tid = BPF_CORE_READ(task, pid);
	r.pid = BPF_CORE_READ(task, tgid);
	r.ptid = BPF_CORE_READ(task, real_parent, tgid);
	r.uid = BPF_CORE_READ(task, cred, uid.val);
	r.gid = BPF_CORE_READ(task, cred, gid.val);
	r.euid = BPF_CORE_READ(task, cred, euid.val);
	r.egid = BPF_CORE_READ(task, cred, egid.val);
	if (bpf_core_field_exists(task->loginuid)) { /* CONFIG_AUDIT */
		r.loginuid = BPF_CORE_READ(task, loginuid.val);
		r.sessionid = BPF_CORE_READ(task, sessionid);
	} else {
		r.loginuid = (u32)-1;
		r.sessionid = (u32)-1;
	}
	r.cap_inheritable = BPF_CORE_READ(task, cred, cap_inheritable.val);
	r.cap_permitted = BPF_CORE_READ(task, cred, cap_permitted.val);
	r.cap_effective = BPF_CORE_READ(task, cred, cap_effective.val);
	r.fdlimit = BPF_CORE_READ(task, signal, rlim[7].rlim_cur); /* RLIMIT_NOFILE */
	r.start_boottime = BPF_CORE_READ(task, start_boottime);
	/* task_dfl_cgroup(task)->kn->id: bpf_get_current_cgroup_id() for this task */
	r.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);

	u32 tflags = BPF_CORE_READ(task, flags);
	if (tflags & PF_KTHREAD)
		r.flags |= SF_KTHREAD;
	if (BPF_CORE_READ(task, exit_state))
		r.flags |= SF_EXITING;

	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	struct upid u = task_upid(tp);
	r.vtid = u.nr;
	r.pidns = u.ns ? BPF_CORE_READ(u.ns, ns.inum) : 0;
	r.pidns_level = tp ? BPF_CORE_READ(tp, level) : 0;
	struct task_struct *reaper = u.ns ? BPF_CORE_READ(u.ns, child_reaper) : NULL;
	if (reaper)
		r.pidns_init_start_ts = BPF_CORE_READ(reaper, start_time);
	u = task_upid(BPF_CORE_READ(task, group_leader, thread_pid));
	r.vpid = u.nr;
	u = task_upid(BPF_CORE_READ(task, signal, pids[2])); /* PIDTYPE_PGID */
	r.vpgid = u.nr;
	u = task_upid(BPF_CORE_READ(task, signal, pids[3])); /* PIDTYPE_SID */
	r.sid = u.nr;

	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	if (nsp) {
		r.mntns = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
		r.netns = BPF_CORE_READ(nsp, net_ns, ns.inum);
	}

	/* new_encode_dev(MKDEV(driver major, driver minor_start) + index), as the sensor */
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (tty) {
		u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		u32 major = BPF_CORE_READ(tty, driver, major);
		r.tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
	}

	exe_info(&r, task);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
