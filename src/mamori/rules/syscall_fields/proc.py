"""``proc.*``, ``thread.*``, ``user.*`` and ``group.*`` fields."""

TABLE = """
proc.exe CHARBUF - argv[0] of the process
proc.pexe CHARBUF - proc.exe of the parent
proc.aexe CHARBUF i proc.exe of an ancestor (any ancestor without argument)
proc.exepath CHARBUF - full path of the executable
proc.pexepath CHARBUF - proc.exepath of the parent
proc.aexepath CHARBUF i proc.exepath of an ancestor
proc.name CHARBUF - process name (task comm)
proc.pname CHARBUF - proc.name of the parent
proc.aname CHARBUF i proc.name of an ancestor (any ancestor without argument)
proc.args CHARBUF - command line arguments without argv[0]
proc.cmdline CHARBUF - proc.name plus proc.args
proc.pcmdline CHARBUF - proc.cmdline of the parent
proc.acmdline CHARBUF i proc.cmdline of an ancestor
proc.cmdnargs UINT64 - number of command line arguments
proc.cmdlenargs UINT64 - total length of the command line arguments
proc.exeline CHARBUF - proc.exe plus proc.args
proc.env CHARBUF k environment, or one variable (proc.env[HOME])
proc.aenv CHARBUF k environment of an ancestor, or a variable found among ancestors
proc.cwd CHARBUF - current working directory
proc.loginshellid INT64 - pid of the oldest shell among the ancestors
proc.tty UINT32 - controlling terminal, 0 for none
proc.pid INT64 - process id
proc.ppid INT64 - parent process id
proc.apid INT64 i pid of an ancestor
proc.vpid INT64 - process id in its pid namespace
proc.pvpid INT64 - parent process id in its pid namespace
proc.sid INT64 - session id
proc.sname CHARBUF - name of the session leader
proc.sid.exe CHARBUF - proc.exe of the session leader
proc.sid.exepath CHARBUF - proc.exepath of the session leader
proc.vpgid INT64 - process group id in its pid namespace
proc.vpgid.name CHARBUF - name of the process group leader
proc.vpgid.exe CHARBUF - proc.exe of the process group leader
proc.vpgid.exepath CHARBUF - proc.exepath of the process group leader
proc.duration RELTIME - nanoseconds since the process started
proc.ppid.duration RELTIME - nanoseconds since the parent started
proc.pid.ts RELTIME - process start time, ns since the epoch
proc.ppid.ts RELTIME - parent start time, ns since the epoch
proc.is_exe_writable BOOL - the executable is writable by the user that ran it
proc.is_exe_upper_layer BOOL - the executable is in an overlayfs upper layer
proc.is_exe_from_memfd BOOL - the executable is a memfd_create() file
proc.is_sid_leader BOOL - the process leads its session
proc.is_vpgid_leader BOOL - the process leads its process group
proc.exe_ino INT64 - inode of the executable
proc.exe_ino.ctime ABSTIME - ctime of the executable
proc.exe_ino.mtime ABSTIME - mtime of the executable
proc.exe_ino.ctime_duration_proc_start ABSTIME - ns between exe ctime and process start
proc.exe_ino.ctime_duration_pidns_start ABSTIME - ns between pid namespace start and exe ctime
proc.pidns_init_start_ts UINT64 - start of the pid namespace, ns since the epoch
proc.is_container_healthcheck BOOL - runs as a container health check
proc.is_container_liveness_probe BOOL - runs as a container liveness probe
proc.is_container_readiness_probe BOOL - runs as a container readiness probe
proc.fdopencount UINT64 - number of open fds
proc.fdlimit INT64 - maximum number of fds
proc.fdusage DOUBLE - open fds over the fd limit
proc.vmsize UINT64 - virtual memory (kb)
proc.vmrss UINT64 - resident memory (kb)
proc.vmswap UINT64 - swapped memory (kb)
proc.nthreads UINT64 - number of alive threads
proc.nchilds UINT64 - number of alive non-leader threads
thread.cap_permitted CHARBUF - permitted capability set
thread.cap_inheritable CHARBUF - inheritable capability set
thread.cap_effective CHARBUF - effective capability set
thread.pfmajor UINT64 - major page faults
thread.pfminor UINT64 - minor page faults
thread.tid INT64 - thread id
thread.ismain BOOL - the thread is the process main thread
thread.vtid INT64 - thread id in its pid namespace
thread.exectime RELTIME - CPU time of the last scheduled thread
thread.totexectime RELTIME - total CPU time of the thread
thread.cgroups CHARBUF - all cgroups of the thread
thread.cgroup CHARBUF K. cgroup of one subsystem (thread.cgroup.cpuacct)
thread.cpu DOUBLE - CPU used in the last second
thread.cpu.user DOUBLE - user CPU used in the last second
thread.cpu.system DOUBLE - system CPU used in the last second
thread.vmsize UINT64 - virtual memory of the main thread (kb)
thread.vmrss UINT64 - resident memory of the main thread (kb)
user.uid UINT32 - user id
user.name CHARBUF - user name
user.homedir CHARBUF - home directory
user.shell CHARBUF - login shell
user.loginuid INT64 - audit user id, -1 when unset
user.loginname CHARBUF - audit user name
group.gid UINT32 - group id
group.name CHARBUF - group name
"""
