"""Runtime security: state kept from syscall events (process, fd, user and container
context) for the rules engine and the live sensor."""
