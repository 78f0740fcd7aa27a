"""``evt.*``, ``syscall.type``, ``fs.path.*``, ``syslog.*`` and ``fdlist.*`` fields."""

TABLE = """
evt.num UINT64 - event number
evt.time CHARBUF - event timestamp as a time string with nanoseconds
evt.time.s CHARBUF - event timestamp as a time string without nanoseconds
evt.time.iso8601 CHARBUF - event timestamp in ISO 8601 format (UTC)
evt.datetime CHARBUF - event timestamp as a date and time string
evt.datetime.s CHARBUF - event timestamp as a date and time string without nanoseconds
evt.rawtime ABSTIME - nanoseconds since the epoch
evt.rawtime.s ABSTIME - seconds since the epoch
evt.rawtime.ns ABSTIME - fractional part of the timestamp
evt.reltime RELTIME - nanoseconds since the beginning of the capture
evt.reltime.s RELTIME - seconds since the beginning of the capture
evt.reltime.ns RELTIME - fractional part of the time since the beginning of the capture
evt.pluginname CHARBUF - name of the plugin that generated the event
evt.plugininfo CHARBUF - summary of a plugin event
evt.source CHARBUF - name of the source that produced the event
evt.is_async BOOL - true for asynchronous events
evt.asynctype CHARBUF - type of an asynchronous event
evt.hostname CHARBUF - host name of the machine
evt.latency RELTIME D delta between an exit event and its enter event
evt.latency.s RELTIME D integer seconds of evt.latency
evt.latency.ns RELTIME D fractional part of evt.latency
evt.latency.human CHARBUF D evt.latency as a human readable string
evt.deltatime RELTIME - delta to the previous event
evt.deltatime.s RELTIME - integer seconds of evt.deltatime
evt.deltatime.ns RELTIME - fractional part of evt.deltatime
evt.dir CHARBUF D event direction: '>' enter, '<' exit
evt.type CHARBUF - name of the event (e.g. open)
evt.type.is UINT32 K. 1 for events of the type given as argument (evt.type.is.open)
syscall.type CHARBUF - for syscall events, the name of the syscall
evt.category CHARBUF - event category (file, net, memory...)
evt.cpu INT16 - CPU number where the event happened
evt.args CHARBUF - all event arguments as one string
evt.arg CHARBUF K. one argument by name or number (evt.arg.fd, evt.arg[0])
evt.rawarg DYNAMIC K. one argument by name, not formatted (evt.rawarg.fd)
evt.info CHARBUF - evt.args or higher-level decoded information
evt.buffer BYTEBUF - binary data buffer of I/O events
evt.buflen UINT64 - length of the binary data buffer
evt.res CHARBUF - return value as a string: SUCCESS or an error code (ENOENT)
evt.rawres INT64 - return value as a number
evt.failed BOOL - true for events that returned an error
evt.is_io BOOL - true for events that read or write fds
evt.is_io_read BOOL - true for events that read from fds
evt.is_io_write BOOL - true for events that write to fds
evt.io_dir CHARBUF - r for reads, w for writes
evt.is_wait BOOL - true for events that make the thread wait
evt.wait_latency RELTIME D time spent waiting
evt.is_syslog BOOL - true for writes to /dev/log
evt.count UINT32 - always 1
evt.count.error UINT32 - 1 for failed events
evt.count.error.file UINT32 - 1 for failed file events
evt.count.error.net UINT32 - 1 for failed network events
evt.count.error.memory UINT32 - 1 for failed memory events
evt.count.error.other UINT32 - 1 for other failed events
evt.count.exit UINT32 - 1 for exit events
evt.around UINT64 K accepts the event if around the given time
evt.abspath CHARBUF k. absolute path computed from dirfd and name (.src / .dst)
evt.is_open_read BOOL - true for opens for reading
evt.is_open_write BOOL - true for opens for writing
evt.is_open_exec BOOL - true for opens/creat creating an executable file
evt.is_open_create BOOL - true for opens creating a file
fs.path.name CHARBUF - resolved path a file syscall operates on
fs.path.nameraw CHARBUF - path as passed to the syscall
fs.path.source CHARBUF - resolved source path (rename, link...)
fs.path.sourceraw CHARBUF - source path as passed to the syscall
fs.path.target CHARBUF - resolved target path (rename, link...)
fs.path.targetraw CHARBUF - target path as passed to the syscall
syslog.facility.str CHARBUF - syslog facility as a string
syslog.facility UINT32 - syslog facility number
syslog.severity.str CHARBUF - syslog severity as a string
syslog.severity UINT32 - syslog severity number
syslog.message CHARBUF - message sent to syslog
fdlist.nums CHARBUF - poll events: fd numbers
fdlist.names CHARBUF - poll events: fd names
fdlist.cips CHARBUF - poll events: client IP addresses
fdlist.sips CHARBUF - poll events: server IP addresses
fdlist.cports CHARBUF - poll events: client ports
fdlist.sports CHARBUF - poll events: server ports
"""
