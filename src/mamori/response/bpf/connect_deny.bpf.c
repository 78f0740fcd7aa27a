// SPDX-License-Identifier: GPL-2.0
// mamori response: deny connect() to listed destinations for the processes of one
// cgroup v2 subtree (cgroup/connect4 and cgroup/connect6 programs).
//
// The deny list is the hash map `deny`, keyed by (family, port, address) and filled from
// Python (mamori.response.connect_deny). A connect is denied (the caller gets EPERM) when
// any of these keys is present, most specific first:
//   (family, port, address)   that address on that port
//   (family, 0, address)      that address on any port
//   (family, port, any)       that port on any address (address all zero)
// An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is looked up as IPv4, so an IPv6
// socket cannot side-step an IPv4 entry. Each denial increments `denied` (per-CPU).
// No vmlinux.h: struct bpf_sock_addr comes from the UAPI header, so the object builds
// without the kernel's BTF dump and loads on any kernel with these attach types.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

struct deny_key {
	__u8 family;    // AF_INET or AF_INET6
	__u8 pad;
	__u16 port;     // host byte order; 0 = any port
	__u32 addr[4];  // network byte order; IPv4 in addr[0], rest 0; all 0 = any address
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct deny_key);
	__type(value, __u8);
} deny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} denied SEC(".maps");

static __always_inline int listed(struct deny_key *key)
{
	__u16 port = key->port;
	__u32 a0 = key->addr[0], a1 = key->addr[1], a2 = key->addr[2], a3 = key->addr[3];

	if (bpf_map_lookup_elem(&deny, key))
		return 1;
	key->port = 0;
	if (bpf_map_lookup_elem(&deny, key))
		return 1;
	key->port = port;
	key->addr[0] = key->addr[1] = key->addr[2] = key->addr[3] = 0;
	if (bpf_map_lookup_elem(&deny, key))
		return 1;
	key->addr[0] = a0;
	key->addr[1] = a1;
	key->addr[2] = a2;
	key->addr[3] = a3;
	return 0;
}

static __always_inline int verdict(struct deny_key *key)
{
	__u32 zero = 0;
	__u64 *count;

	if (!listed(key))
		return 1;  // allow
	count = bpf_map_lookup_elem(&denied, &zero);
	if (count)
		*count += 1;
	return 0;  // deny: connect() fails with EPERM
}

SEC("cgroup/connect4")
int mamori_connect4(struct bpf_sock_addr *ctx)
{
	struct deny_key key = {};

	key.family = AF_INET;
	key.port = bpf_ntohs((__u16)ctx->user_port);
	key.addr[0] = ctx->user_ip4;
	return verdict(&key);
}

SEC("cgroup/connect6")
int mamori_connect6(struct bpf_sock_addr *ctx)
{
	struct deny_key key = {};
	__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1];
	__u32 a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];

	key.port = bpf_ntohs((__u16)ctx->user_port);
	if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0x0000ffff)) {
		key.family = AF_INET;  // ::ffff:a.b.c.d
		key.addr[0] = a3;
	} else {
		key.family = AF_INET6;
		key.addr[0] = a0;
		key.addr[1] = a1;
		key.addr[2] = a2;
		key.addr[3] = a3;
	}
	return verdict(&key);
}

char LICENSE[] SEC("license") = "GPL";
