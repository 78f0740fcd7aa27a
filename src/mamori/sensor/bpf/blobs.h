/* Writers of tagged blobs into the per-CPU event buffer, and the kernel lookups they need
 * (path of a struct path, fd -> struct file, socket tuple).
 *
 * Offsets into the buffers are masked so the verifier can bound every access: the event
 * buffer is EVT_AREA bytes of record plus EVT_SLACK bytes a last blob may spill into.
 */
#ifndef MAMORI_BLOBS_H
#define MAMORI_BLOBS_H

#define EVT_AREA 16384
#define EVT_MASK (EVT_AREA - 1)
#define EVT_SLACK 8192
#define EVT_LIMIT 12000       /* no blob starts past this offset */
#define STR_MAX 4096
#define PATH_AREA 4096
#define PATH_DEPTH 40

struct scratch {
	char data[EVT_AREA + EVT_SLACK];
};

struct pathbuf {
	u32 off; /* kept in map memory, not a register: the verifier then does not track its
		  * exact value per iteration and prunes the walk's states */
	u32 pad;
	char data[PATH_AREA * 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pathbuf);
} pathbufs SEC(".maps");

/* &*at(sc, off), with a mask the compiler cannot fold away (the verifier
 * bounds the access by it, while clang would drop it after an earlier range test). */
static __always_inline char *at(struct scratch *sc, u64 off)
{
	asm volatile("%0 &= 0x3fff" : "+r"(off));
	return &sc->data[off];
}

static __always_inline char *pat(struct pathbuf *pb, u64 off)
{
	asm volatile("%0 &= 0xfff" : "+r"(off));
	return &pb->data[off];
}

static __always_inline u32 put_tag(struct scratch *sc, u32 pos, u8 tag, u32 len)
{
	*at(sc, pos) = tag;
	*at(sc, pos + 1) = len & 0xff;
	*at(sc, pos + 2) = (len >> 8) & 0xff;
	return pos + 3 + len;
}

/* A NUL-terminated user string (read at syscall exit: fresh pages are present by then). */
static __noinline u32 put_user_str(struct scratch *sc, u32 pos, u8 tag, const void *uptr)
{
	if (pos > EVT_LIMIT || !uptr)
		return pos;
	long n = bpf_probe_read_user_str(at(sc, pos + 3), STR_MAX, uptr);
	if (n <= 0)
		return pos;
	return put_tag(sc, pos, tag, (u32)(n - 1));
}

/* `len` raw user bytes. */
static __noinline u32 put_user_bytes(struct scratch *sc, u32 pos, u8 tag, const void *uptr, u32 len)
{
	if (pos > EVT_LIMIT || !uptr)
		return pos;
	len &= STR_MAX - 1;
	if (bpf_probe_read_user(at(sc, pos + 3), len, uptr) < 0)
		return pos;
	return put_tag(sc, pos, tag, len);
}

static __noinline u32 put_kernel_bytes(struct scratch *sc, u32 pos, u8 tag, const void *kptr, u32 len)
{
	if (pos > EVT_LIMIT)
		return pos;
	len &= STR_MAX - 1;
	if (bpf_probe_read_kernel(at(sc, pos + 3), len, kptr) < 0)
		return pos;
	return put_tag(sc, pos, tag, len);
}

/* The absolute path of a (dentry, vfsmount), walked up to the root of the mount tree, the
 * way d_path does (tracepoints may not call bpf_d_path). */
__noinline u32 put_path(struct scratch *sc, u32 pos, u32 tag, u64 dentry_addr, u64 mnt_addr)
{
	u32 zero = 0;
	struct pathbuf *pb = bpf_map_lookup_elem(&pathbufs, &zero);
	struct dentry *dentry = (struct dentry *)dentry_addr;
	struct vfsmount *vfsmnt = (struct vfsmount *)mnt_addr;
	if (!sc || !pb || pos > EVT_LIMIT || !dentry || !vfsmnt)
		return pos;
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	pb->off = PATH_AREA;
	for (int i = 0; i < PATH_DEPTH; i++) {
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		if (dentry == mnt_root) {
			struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
			if (mp == mnt)
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
			vfsmnt = &mp->mnt;
			continue;
		}
		/* a root that is not its mount's root is a pseudo file (memfd, anon inode):
		 * d_path names it by its own name, so write that last component */
		struct qstr name = BPF_CORE_READ(dentry, d_name);
		u32 len = name.len & 255;
		u32 off = pb->off;
		if (off < len + 1 || off > PATH_AREA)
			break;
		off -= len + 1;
		bpf_probe_read_kernel(pat(pb, off + 1), len, name.name);
		*pat(pb, off) = '/';
		pb->off = off;
		if (dentry == parent)
			break;
		dentry = parent;
	}
	u32 off = pb->off;
	if (off >= PATH_AREA) {
		off = PATH_AREA - 1;
		pb->data[off] = '/';
	}
	u32 n = (PATH_AREA - off) & (PATH_AREA * 2 - 1);
	if (n > PATH_AREA)
		return pos;
	bpf_probe_read_kernel(at(sc, pos + 3), n, pat(pb, off));
	return put_tag(sc, pos, tag, n);
}


static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* dev (kernel encoding), ino and overlay/deleted flags of an inode. */
static __always_inline void inode_info(struct inode *inode, struct file_blob *fb)
{
	fb->ino = BPF_CORE_READ(inode, i_ino);
	fb->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	fb->flags = 0;
	if (BPF_CORE_READ(inode, __i_nlink) == 0)
		fb->flags |= PF_EXE_DELETED;
	if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
		if (BPF_CORE_READ(oi, __upperdentry))
			fb->flags |= PF_EXE_UPPER_LAYER;
		else
			fb->flags |= PF_EXE_LOWER_LAYER;
	}
}

__noinline u32 put_file_info(struct scratch *sc, u32 pos, u64 file_addr)
{
	struct file_blob fb = {};
	struct file *f = (struct file *)file_addr;
	if (!sc || !f || pos > EVT_LIMIT)
		return pos;
	inode_info(BPF_CORE_READ(f, f_inode), &fb);
	return put_kernel_bytes(sc, pos, T_FILE, &fb, sizeof(fb));
}

struct tuple_inet {
	u16 family, sport, dport, pad;
	u8 saddr[16], daddr[16];
};

struct unix_ptrs {
	u16 family, pad[3];
	u64 sk, peer;
};

static __always_inline u32 put_unix_name(struct scratch *sc, u32 pos, struct sock *sk)
{
	struct unix_sock *us = container_of(sk, struct unix_sock, sk);
	struct unix_address *ua = BPF_CORE_READ(us, addr);
	if (!ua)
		return put_tag(sc, pos, T_TUPLE, 0);
	int len = BPF_CORE_READ(ua, len) - 2;
	if (len < 0)
		len = 0;
	if (len > 108)
		len = 108;
	return put_kernel_bytes(sc, pos, T_TUPLE, (char *)&ua->name[0] + 2, len);
}

/* The socket tuple of an fd: one T_TUPLE blob (struct tuple_inet) for inet sockets, or three
 * T_TUPLE blobs (family + socket addresses, local path, peer path) for unix sockets. */
__noinline u32 put_tuple(struct scratch *sc, u32 pos, long fd)
{
	if (!sc)
		return pos;
	struct file *f = fd_file(bpf_get_current_task_btf(), fd);
	if (!f || pos > EVT_LIMIT)
		return pos;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return pos;
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return pos;
	struct tuple_inet t = {};
	t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (t.family == 2) {
		t.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		bpf_probe_read_kernel(t.saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_probe_read_kernel(t.daddr, 4, &sk->__sk_common.skc_daddr);
		return put_kernel_bytes(sc, pos, T_TUPLE, &t, sizeof(t));
	}
	if (t.family == 10) {
		t.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		bpf_probe_read_kernel(t.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(t.daddr, 16, &sk->__sk_common.skc_v6_daddr);
		return put_kernel_bytes(sc, pos, T_TUPLE, &t, sizeof(t));
	}
	if (t.family == 1) {
		/* family, then the socket's and its peer's kernel addresses (Falco names a unix
		 * fd "<sk>-><peer> <path>"), then the two paths */
		struct sock *peer = BPF_CORE_READ(container_of(sk, struct unix_sock, sk), peer);
		struct unix_ptrs up = { .family = 1, .sk = (u64)sk, .peer = (u64)peer };
		pos = put_kernel_bytes(sc, pos, T_TUPLE, &up, sizeof(up));
		pos = put_unix_name(sc, pos, sk);
		if (peer)
			return put_unix_name(sc, pos, peer);
		return put_tag(sc, pos, T_TUPLE, 0);
	}
	return put_kernel_bytes(sc, pos, T_TUPLE, &t, 2);
}

#endif
