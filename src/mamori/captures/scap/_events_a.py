"""Event table, codes 0-199: pure data (see ``events.py`` for the line format).

Written from falcosecurity/libs ``driver/event_table.c`` and ``ppm_events_public.h``
read as documentation: each line names one event code, its Falco name, its flags and
its parameters in wire order. Even codes are enter (``>``) events, odd codes exit.
"""

from __future__ import annotations

# Parameter runs shared by the process events (clone/fork/vfork/execve families).
PROC = (
    "exe:s args:sl tid:pid pid:pid ptid:pid cwd:s fdlimit:{fdl} pgft_maj:u64 pgft_min:u64 "
    "vm_size:u32 vm_rss:u32 vm_swap:u32"
)
PROC_I = PROC.format(fdl="i64")
PROC_U = PROC.format(fdl="u64")
CLONE16 = f"res:pid {PROC_I} flags:f32x uid:u32 gid:u32"

LINES_A = f"""
0 syscall - ID:sc nativeID:u16
1 syscall - ID:sc
2 open CM name:p flags:f32x mode:u32o
3 open CM fd:fd name:p flags:f32x mode:u32o dev:u32x ino:u64
4 close DUM fd:fd
5 close DUM res:e
6 read UR fd:fd size:u32
7 read UR res:e data:b
8 write UW fd:fd size:u32
9 write UW res:e data:b
10 brk O size:u32
11 brk O res:u64x
12 execve MO
13 execve MO res:e exe:s args:sl tid:pid pid:pid ptid:pid cwd:s fdlimit:u64
14 clone MO
15 clone MO res:pid exe:s args:sl tid:pid pid:pid ptid:pid cwd:s fdlimit:i64 flags:f32x \
uid:u32 gid:u32
16 procexit MO
17 NA1 N
18 socket CM domain:f32 type:u32 proto:u32
19 socket CM fd:fd
20 bind UM fd:fd
21 bind UM res:e addr:sa
22 connect UM fd:fd addr:sa
23 connect UM res:e tuple:st fd:fd
24 listen U fd:fd backlog:u32
25 listen U res:e
26 accept CMO
27 accept CMO fd:fd tuple:st queuepct:u8
28 send UW fd:fd size:u32
29 send UW res:e data:b
30 sendto UWM fd:fd size:u32 tuple:st
31 sendto UWM res:e data:b
32 recv UR fd:fd size:u32
33 recv UR res:e data:b
34 recvfrom URM fd:fd size:u32
35 recvfrom URM res:e data:b tuple:st
36 shutdown UM fd:fd how:f8x
37 shutdown UM res:e
38 getsockname -
39 getsockname -
40 getpeername -
41 getpeername -
42 socketpair CM domain:f32 type:u32 proto:u32
43 socketpair CM res:e fd1:fd fd2:fd source:u64x peer:u64x
44 setsockopt -
45 setsockopt U res:e fd:fd level:f8 optname:f8 val:dyn@sockopt optlen:u32
46 getsockopt M
47 getsockopt UM res:e fd:fd level:f8 optname:f8 val:dyn@sockopt optlen:u32
48 sendmsg UWM fd:fd size:u32 tuple:st
49 sendmsg UWM res:e data:b
50 sendmmsg -
51 sendmmsg -
52 recvmsg URM fd:fd
53 recvmsg URM res:e size:u32 data:b tuple:st
54 recvmmsg -
55 recvmmsg -
56 accept CMO flags:i32x
57 accept CMO fd:fd tuple:st queuepct:u8
58 creat CM name:p mode:u32o
59 creat CM fd:fd name:p mode:u32o dev:u32x ino:u64
60 pipe CM
61 pipe CM res:e fd1:fd fd2:fd ino:u64
62 eventfd CM initval:u64 flags:f32x
63 eventfd CM res:fd
64 futex - addr:u64x op:f16x val:u64
65 futex - res:e
66 stat -
67 stat - res:e path:p
68 lstat -
69 lstat - res:e path:p
70 fstat U fd:fd
71 fstat U res:e
72 stat64 -
73 stat64 - res:e path:p
74 lstat64 -
75 lstat64 - res:e path:p
76 fstat64 U fd:fd
77 fstat64 U res:e
78 epoll_wait - maxevents:e
79 epoll_wait - res:e
80 poll - fds:fdl timeout:i64
81 poll - res:e fds:fdl
82 select -
83 select - res:e
84 select -
85 select - res:e
86 lseek U fd:fd offset:u64 whence:f8
87 lseek U res:e
88 llseek U fd:fd offset:u64 whence:f8
89 llseek U res:e
90 ioctl UO fd:fd request:u64x
91 ioctl UO res:e
92 getcwd -
93 getcwd - res:e path:s
94 chdir M
95 chdir M res:e path:s
96 fchdir UM fd:fd
97 fchdir UM res:e
98 mkdir - path:p mode:u32x
99 mkdir - res:e
100 rmdir - path:p
101 rmdir - res:e
102 openat CMO dirfd:fd name:s flags:f32x mode:u32o
103 openat CMO fd:fd
104 link O oldpath:p newpath:p
105 link O res:e
106 linkat O olddir:fd oldpath:s newdir:fd newpath:s
107 linkat O res:e
108 unlink O path:p
109 unlink O res:e
110 unlinkat O dirfd:fd name:s
111 unlinkat O res:e
112 pread UR fd:fd size:u32 pos:u64
113 pread UR res:e data:b
114 pwrite UW fd:fd size:u32 pos:u64
115 pwrite UW res:e data:b
116 readv UR fd:fd
117 readv UR res:e size:u32 data:b
118 writev UW fd:fd size:u32
119 writev UW res:e data:b
120 preadv UR fd:fd pos:u64
121 preadv UR res:e size:u32 data:b
122 pwritev UW fd:fd size:u32 pos:u64
123 pwritev UW res:e data:b
124 dup CUM fd:fd
125 dup CUM res:fd
126 signalfd CM fd:fd mask:u32x flags:f8x
127 signalfd CM res:fd
128 kill - pid:pid sig:sig
129 kill - res:e
130 tkill - tid:pid sig:sig
131 tkill - res:e
132 tgkill - pid:pid tid:pid sig:sig
133 tgkill - res:e
134 nanosleep - interval:rt
135 nanosleep - res:e
136 timerfd_create CM clockid:u8 flags:f8x
137 timerfd_create CM res:fd
138 inotify_init CM flags:f8x
139 inotify_init CM res:fd
140 getrlimit - resource:f8
141 getrlimit - res:e cur:i64 max:i64
142 setrlimit - resource:f8
143 setrlimit - res:e cur:i64 max:i64
144 prlimit - pid:pid resource:f8
145 prlimit - res:e newcur:i64 newmax:i64 oldcur:i64 oldmax:i64
146 switch SO next:pid
147 NA2 SNO
148 drop S ratio:u32
149 drop S ratio:u32
150 fcntl UM fd:fd cmd:f8
151 fcntl UM res:fd
152 switch - next:pid pgft_maj:u64 pgft_min:u64 vm_size:u32 vm_rss:u32 vm_swap:u32
153 NA2 N
154 execve MO
155 execve MO res:e {PROC_U}
156 clone MO
157 clone MO {CLONE16}
158 brk - addr:u64x
159 brk - res:u64x vm_size:u32 vm_rss:u32 vm_swap:u32
160 mmap - addr:u64x length:u64 prot:f32x flags:f32x fd:fd offset:u64
161 mmap - res:u64x vm_size:u32 vm_rss:u32 vm_swap:u32
162 mmap2 - addr:u64x length:u64 prot:f32x flags:f32x fd:fd pgoffset:u64
163 mmap2 - res:u64x vm_size:u32 vm_rss:u32 vm_swap:u32
164 munmap - addr:u64x length:u64
165 munmap - res:e vm_size:u32 vm_rss:u32 vm_swap:u32
166 splice U fd_in:fd fd_out:fd size:u64 flags:f32x
167 splice U res:e
168 ptrace - request:f16 pid:pid
169 ptrace - res:e addr:dynx@ptrace data:dynx@ptrace
170 ioctl U fd:fd request:u64x argument:u64x
171 ioctl U res:e
172 execve MO
173 execve MO res:e {PROC_U} env:sl
174 rename -
175 rename - res:e oldpath:p newpath:p
176 renameat -
177 renameat - res:e olddirfd:fd oldpath:rp@1 newdirfd:fd newpath:rp@3
178 symlink -
179 symlink - res:e target:s linkpath:p
180 symlinkat -
181 symlinkat - res:e target:s linkdirfd:fd linkpath:rp@2
182 fork MO
183 fork MO {CLONE16}
184 vfork MO
185 vfork MO {CLONE16}
186 procexit M status:e ret:e sig:sig core:u8 reaper_tid:pid
187 NA1 N
188 sendfile U out_fd:fd in_fd:fd offset:u64 size:u64
189 sendfile U res:e offset:u64
190 quotactl - cmd:f16 type:f8 id:u32 quota_fmt:f8
191 quotactl - res:e special:s quotafilepath:s dqb_bhardlimit:u64 dqb_bsoftlimit:u64 \
dqb_curspace:u64 dqb_ihardlimit:u64 dqb_isoftlimit:u64 dqb_btime:rt dqb_itime:rt \
dqi_bgrace:rt dqi_igrace:rt dqi_flags:f8 quota_fmt_out:f8
192 setresuid M ruid:uid euid:uid suid:uid
193 setresuid M res:e
194 setresgid M rgid:gid egid:gid sgid:gid
195 setresgid M res:e
196 scapevent S event_type:u32 event_data:u64
197 scapevent N
198 setuid M uid:uid
199 setuid M res:e
"""
