"""``fd.*`` fields."""

TABLE = """
fd.num INT64 - file descriptor number
fd.type CHARBUF - fd type (file, directory, ipv4, ipv6, unix, pipe...)
fd.typechar CHARBUF - fd type as one character (f, 4, 6, u, p...)
fd.name CHARBUF - full name: path, or connection tuple
fd.directory CHARBUF - directory of a file fd
fd.filename CHARBUF - file name without the directory
fd.ip IPADDR - client or server IP (filter only)
fd.cip IPADDR - client IP
fd.sip IPADDR - server IP
fd.lip IPADDR - local IP
fd.rip IPADDR - remote IP
fd.port PORT - client or server port (filter only)
fd.cport PORT - client port
fd.sport PORT - server port
fd.lport PORT - local port
fd.rport PORT - remote port
fd.l4proto CHARBUF - IP protocol: tcp, udp, icmp or raw
fd.sockfamily CHARBUF - socket family: ip or unix
fd.is_server BOOL - the process is the server end
fd.uid CHARBUF - fd number and thread id
fd.containername CHARBUF - container id plus fd name
fd.containerdirectory CHARBUF - container id plus directory
fd.proto PORT - client or server protocol (filter only)
fd.cproto CHARBUF - client protocol
fd.sproto CHARBUF - server protocol
fd.lproto CHARBUF - local protocol
fd.rproto CHARBUF - remote protocol
fd.net IPNET - client or server network (filter only)
fd.cnet IPNET - client network
fd.snet IPNET - server network
fd.lnet IPNET - local network
fd.rnet IPNET - remote network
fd.connected BOOL - the socket is connected
fd.name_changed BOOL - the event changed the fd name
fd.cip.name CHARBUF - domain name of the client IP
fd.sip.name CHARBUF - domain name of the server IP
fd.lip.name CHARBUF - domain name of the local IP
fd.rip.name CHARBUF - domain name of the remote IP
fd.dev INT32 - device number of the file
fd.dev.major INT32 - major device number
fd.dev.minor INT32 - minor device number
fd.ino INT64 - inode of the file
fd.nameraw CHARBUF - file path as passed, not made absolute
fd.types CHARBUF iL fd types in use (fd.types[0] for one fd)
"""
