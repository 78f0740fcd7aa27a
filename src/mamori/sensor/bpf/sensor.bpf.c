// SPDX-License-Identifier: GPL-2.0
/* mamori's eBPF sensor: syscall exits and process exits as tagged records in a ring buffer.
 *
 * Design (see mamori/sensor/__init__.py for the Python side):
 * - tp_btf/sys_exit alone: the arguments are still in the saved user registers at exit,
 *   and user memory is read then (strings of fresh processes are only paged in once the
 *   syscall ran). One record per syscall with everything Falco puts in the exit event;
 *   no enter program, so syscalls nobody asked for cost one tracepoint and one lookup. Which syscalls are wanted, and how each argument is decoded, is a
 *   table (`specs`) the Python side fills from Falco event names: filtering is in kernel.
 * - tp_btf/sched_process_exit emits procexit.
 * - Records go to a BPF ring buffer without wake-up, with a forced wake-up once
 *   `wakeup_bytes` wait in the ring (or every `wakeup_every` records per CPU); the
 *   consumer also drains on a timer, so a quiet host still delivers promptly. Failed writes
 *   are counted per CPU (counters[C_DROPS]) and in total (drop_total, mapped into the
 *   agent), and reported, never silent.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((void *)(ptr) - bpf_core_field_offset(type, member)))
#endif

#include "blobs.h"

#define C_CAPTURED 0
#define C_DROPS 1
#define C_MAX 4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_SYSCALLS);
	__type(key, u32);
	__type(value, struct sc_spec);
} specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct sensor_config);
} settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} scratches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, C_MAX);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

/* The running total of drops on all CPUs, mapped read-only into the agent: it checks one
 * word per drain instead of a map lookup syscall (the per-CPU counters say where). */
struct drop_total {
	u64 drops;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, u32);
	__type(value, struct drop_total);
} drop_total SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

static __always_inline void count(u32 which)
{
	u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
}

static __always_inline struct sensor_config *get_config(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&settings, &zero);
}

/* The upid of a task's pid in its own (deepest) pid namespace. */
static __always_inline struct upid task_upid(struct pid *pid)
{
	struct upid u = {};
	if (!pid)
		return u;
	u32 level = BPF_CORE_READ(pid, level) & 31;
	bpf_probe_read_kernel(&u, sizeof(u), &pid->numbers[level]);
	return u;
}

/* Direct loads through the task's BTF pointers (checked by the verifier, no helper
 * calls): this runs for every captured event. */
static __always_inline void fill_header(struct evt_hdr *h, struct task_struct *task, u32 nr)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	h->nr = nr;
	h->cpu = bpf_get_smp_processor_id();
	h->flags = 0;
	h->ts = bpf_ktime_get_boot_ns();
	h->tid = (u32)pid_tgid;
	h->pid = pid_tgid >> 32;
	h->ppid = task->real_parent->tgid;
	const struct cred *cred = task->cred;
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->euid = cred->euid.val;
	h->loginuid = task->loginuid.val;
	struct upid u = task_upid(task->thread_pid);
	h->pidns = u.ns ? BPF_CORE_READ(u.ns, ns.inum) : 0;
	struct nsproxy *nsp = task->nsproxy;
	h->mntns = nsp ? nsp->mnt_ns->ns.inum : 0;
	h->netns = nsp ? nsp->net_ns->ns.inum : 0;
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Process details of execve/clone exits (Falco's execve/clone exit parameters). */
__noinline u32 put_proc(struct scratch *sc, u32 pos, int exec)
{
	struct proc_blob pb = {};
	struct task_struct *task = bpf_get_current_task_btf();
	if (!sc)
		return pos;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (mm) {
		unsigned long start = BPF_CORE_READ(mm, arg_start);
		unsigned long end = BPF_CORE_READ(mm, arg_end);
		u32 len = end > start ? end - start : 0;
		if (len > STR_MAX - 1)
			len = STR_MAX - 1;
		pos = put_user_bytes(sc, pos, T_ARGV, (void *)start, len);
	}
	if (exec && mm) {
		unsigned long env_start = BPF_CORE_READ(mm, env_start);
		unsigned long env_end = BPF_CORE_READ(mm, env_end);
		u32 env_len = env_end > env_start ? env_end - env_start : 0;
		if (env_len > STR_MAX - 1)
			env_len = STR_MAX - 1;
		pos = put_user_bytes(sc, pos, T_ENV, (void *)env_start, env_len);
		struct file *exe = BPF_CORE_READ(mm, exe_file);
		if (exe) {
			struct file_blob fb = {};
			struct inode *inode = BPF_CORE_READ(exe, f_inode);
			inode_info(inode, &fb);
			pb.exe_ino = fb.ino;
			pb.exe_dev = fb.dev;
			pb.flags = fb.flags;
			/* the top bits of i_ctime_nsec are flags (I_CTIME_QUERIED) */
			pb.exe_ctime = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ULL +
				       (BPF_CORE_READ(inode, i_ctime_nsec) & 0x3fffffff);
			pb.exe_mtime = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ULL +
				       (BPF_CORE_READ(inode, i_mtime_nsec) & 0x3fffffff);
			struct dentry *d = BPF_CORE_READ(exe, f_path.dentry);
			char head[6] = {};
			bpf_probe_read_kernel(head, sizeof(head), BPF_CORE_READ(d, d_name.name));
			if (head[0] == 'm' && head[1] == 'e' && head[2] == 'm' && head[3] == 'f' &&
			    head[4] == 'd' && head[5] == ':')
				pb.flags |= PF_EXE_FROM_MEMFD;
			u32 mode = BPF_CORE_READ(inode, i_mode);
			u32 euid = BPF_CORE_READ(task, cred, euid.val);
			u32 egid = BPF_CORE_READ(task, cred, egid.val);
			if ((BPF_CORE_READ(inode, i_uid.val) == euid && (mode & 0200)) ||
			    (BPF_CORE_READ(inode, i_gid.val) == egid && (mode & 020)) || (mode & 02))
				pb.flags |= PF_EXE_WRITABLE;
			pos = put_path(sc, pos, T_EXE, (u64)d, (u64)BPF_CORE_READ(exe, f_path.mnt));
		}
		struct fs_struct *fs = BPF_CORE_READ(task, fs);
		if (fs)
			pos = put_path(sc, pos, T_CWD, (u64)BPF_CORE_READ(fs, pwd.dentry),
				       (u64)BPF_CORE_READ(fs, pwd.mnt));
	}
	pb.egid = BPF_CORE_READ(task, cred, egid.val);
	pb.cap_inheritable = BPF_CORE_READ(task, cred, cap_inheritable.val);
	pb.cap_permitted = BPF_CORE_READ(task, cred, cap_permitted.val);
	pb.cap_effective = BPF_CORE_READ(task, cred, cap_effective.val);
	pb.fdlimit = BPF_CORE_READ(task, signal, rlim[7].rlim_cur); /* RLIMIT_NOFILE */
	struct upid u = task_upid(BPF_CORE_READ(task, thread_pid));
	pb.vtid = u.nr;
	u = task_upid(BPF_CORE_READ(task, group_leader, thread_pid));
	pb.vpid = u.nr;
	u = task_upid(BPF_CORE_READ(task, signal, pids[2])); /* PIDTYPE_PGID */
	pb.vpgid = u.nr;
	u = task_upid(BPF_CORE_READ(task, signal, pids[3])); /* PIDTYPE_SID */
	pb.sid = u.nr;
	/* proc.tty: the controlling terminal's device number, encoded as the kernel's
	 * new_encode_dev(MKDEV(driver major, driver minor_start) + index), as Falco's drivers */
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (tty) {
		u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		u32 major = BPF_CORE_READ(tty, driver, major);
		pb.tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
	}
	struct task_struct *reaper = NULL;
	u = task_upid(BPF_CORE_READ(task, thread_pid));
	if (u.ns)
		reaper = BPF_CORE_READ(u.ns, child_reaper);
	if (reaper)
		pb.pidns_init_start_ts = BPF_CORE_READ(reaper, start_time);
	return put_kernel_bytes(sc, pos, T_PROC, &pb, sizeof(pb));
}

/* args[j] with j masked in a way the compiler cannot drop (the verifier needs the mask;
 * indexes 6 and 7 read the next header field, which is harmless). */
static __always_inline u64 arg_at(u64 *args, u64 j)
{
	asm volatile("%0 &= 7" : "+r"(j));
	return args[j];
}

/* The blob of one argument, by its kind. */
__noinline u32 put_arg(struct scratch *sc, u32 pos, u32 i, struct sc_spec *spec)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!sc || !spec)
		return pos;
	u64 *args = ((struct evt_hdr *)sc->data)->args;
	if (i > 5)
		return pos;
	u8 kind = spec->kind[i];
	u8 dirfd_idx = spec->dirfd[i];
	u64 v = arg_at(args, i);
	if (kind == K_PATH || kind == K_PATH_AT || kind == K_STR) {
		u32 start = pos;
		pos = put_user_str(sc, pos, T_ARG0 + i, (void *)v);
		if (kind == K_STR || pos == start || *at(sc, start + 3) == '/')
			return pos;
		long dirfd = -100; /* AT_FDCWD */
		if (kind == K_PATH_AT)
			dirfd = (int)arg_at(args, dirfd_idx);
		if (dirfd == -100) {
			struct fs_struct *fs = BPF_CORE_READ(task, fs);
			if (fs)
				pos = put_path(sc, pos, T_BASE0 + i, (u64)BPF_CORE_READ(fs, pwd.dentry),
					       (u64)BPF_CORE_READ(fs, pwd.mnt));
			return pos;
		}
		struct file *f = fd_file(task, dirfd);
		if (f)
			pos = put_path(sc, pos, T_BASE0 + i, (u64)BPF_CORE_READ(f, f_path.dentry),
				       (u64)BPF_CORE_READ(f, f_path.mnt));
		return pos;
	}
	if (kind == K_SOCKADDR) {
		u32 len = arg_at(args, i + 1);
		return put_user_bytes(sc, pos, T_ARG0 + i, (void *)v, len > 128 ? 128 : len);
	}
	if (kind == K_SOCKADDR_LP) {
		int len = 0;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)arg_at(args, i + 1)) < 0 || len <= 0)
			return pos;
		return put_user_bytes(sc, pos, T_ARG0 + i, (void *)v, len > 128 ? 128 : len);
	}
	if (kind == K_MSGHDR) {
		struct user_msghdr m = {};
		if (bpf_probe_read_user(&m, sizeof(m), (void *)v) < 0 || !m.msg_name)
			return pos;
		u32 len = m.msg_namelen;
		return put_user_bytes(sc, pos, T_ARG0 + i, m.msg_name, len > 128 ? 128 : len);
	}
	if (kind == K_FDPAIR)
		return put_user_bytes(sc, pos, T_ARG0 + i, (void *)v, 8);
	if (kind == K_U64PTR)
		return put_user_bytes(sc, pos, T_ARG0 + i, (void *)v, 24);
	return pos;
}

static __always_inline void emit(struct scratch *sc, u32 pos, struct sensor_config *cfg, u32 cpu_count)
{
	struct evt_hdr *h = (struct evt_hdr *)sc->data;
	/* blobs start before EVT_LIMIT and hold < STR_MAX bytes: a record fits in EVT_AREA */
	u64 size = pos > EVT_MASK ? EVT_MASK : pos;
	asm volatile("%0 &= 0x3fff" : "+r"(size)); /* EVT_MASK, kept for the verifier */
	h->size = size;
	u64 flags = BPF_RB_NO_WAKEUP;
	if (cfg && cfg->wakeup_every && cpu_count % cfg->wakeup_every == 0)
		flags = BPF_RB_FORCE_WAKEUP;
	else if (cfg && cfg->wakeup_bytes) {
		/* wake once, when this record makes the waiting data cross the threshold: a
		 * wake-up per record while the consumer catches up would cost an irq_work each */
		u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		if (avail < cfg->wakeup_bytes && avail + size + 8 >= cfg->wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, sc->data, size, flags) < 0) {
		u32 zero = 0;
		struct drop_total *t = bpf_map_lookup_elem(&drop_total, &zero);
		count(C_DROPS);
		if (t)
			__sync_fetch_and_add(&t->drops, 1);
	}
}

static __always_inline u64 bump_captured(void)
{
	u32 k = C_CAPTURED;
	u64 *c = bpf_map_lookup_elem(&counters, &k);
	if (!c)
		return 0;
	*c += 1;
	return *c;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	if (id < 0 || id >= NR_SYSCALLS)
		return 0;
	u32 key = id;
	struct sc_spec *spec = bpf_map_lookup_elem(&specs, &key);
	if (!spec || !spec->wanted)
		return 0;
	struct sensor_config *cfg = get_config();
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (cfg && cfg->self_tgid == pid_tgid >> 32)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	/* 32-bit (ia32) syscalls have other numbers: the table is x86_64's, skip them */
	if (task->thread_info.status & 0x0002) /* TS_COMPAT */
		return 0;
	u32 zero = 0;
	struct scratch *sc = bpf_map_lookup_elem(&scratches, &zero);
	if (!sc)
		return 0;
	struct evt_hdr *h = (struct evt_hdr *)sc->data;
	/* The saved user registers still hold the arguments at exit (only a successful execve
	 * replaces them, and its event reads the new task instead): no enter program. */
	h->args[0] = regs->di;
	h->args[1] = regs->si;
	h->args[2] = regs->dx;
	h->args[3] = regs->r10;
	h->args[4] = regs->r8;
	h->args[5] = regs->r9;
	u64 n = bump_captured();
	fill_header(h, task, id);
	h->ret = ret;
	u32 pos = sizeof(struct evt_hdr);
	for (u32 i = 0; i < 6; i++) {
		if (spec->kind[i] != K_NONE)
			pos = put_arg(sc, pos, i, spec);
	}
	u8 extra = spec->extra;
	if (extra & X_TUPLE_A0)
		pos = put_tuple(sc, pos, (int)h->args[0]);
	if ((extra & X_TUPLE_RET) && ret >= 0)
		pos = put_tuple(sc, pos, ret);
	if ((extra & X_FILE_RET) && ret >= 0)
		pos = put_file_info(sc, pos, (u64)fd_file(task, ret));
	if (extra & X_FILE_A0)
		pos = put_file_info(sc, pos, (u64)fd_file(task, (int)h->args[0]));
	if (extra & (X_EXEC | X_CLONE))
		pos = put_proc(sc, pos, (extra & X_EXEC) && ret == 0);
	emit(sc, pos, cfg, n);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_process_exit, struct task_struct *task, bool group_dead)
{
	struct sensor_config *cfg = get_config();
	if (!cfg || !cfg->want_procexit)
		return 0;
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (cfg->self_tgid == pid_tgid >> 32)
		return 0;
	u32 zero = 0;
	struct scratch *sc = bpf_map_lookup_elem(&scratches, &zero);
	if (!sc)
		return 0;
	struct evt_hdr *h = (struct evt_hdr *)sc->data;
	u64 n = bump_captured();
	fill_header(h, task, EV_PROCEXIT);
	h->ret = BPF_CORE_READ(task, exit_code);
	__builtin_memset(h->args, 0, sizeof(h->args));
	h->args[0] = group_dead;
	struct task_struct *reaper = BPF_CORE_READ(task, real_parent);
	h->args[1] = reaper ? BPF_CORE_READ(reaper, pid) : 0;
	emit(sc, sizeof(struct evt_hdr), cfg, n);
	return 0;
}
