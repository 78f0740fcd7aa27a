"""Sensors for hosts where eBPF cannot load, in pure Python, with the eBPF sensor's API.

    with FallbackSensor(["execve", "clone", "procexit", "openat", "connect"]) as sensor:
        for batch in sensor: ...

- ``proc_connector``: netlink process connector: clone, execve (details from /proc),
  procexit, setresuid/setresgid, ptrace;
- ``fanotify``: openat (path, approximate flags, inode) on marked mounts/filesystems;
- ``audit``: execve/execveat with exact argv, connect, accept/accept4, bind with
  addresses, through audit rules it adds and always removes.

Every event uses Falco's event and parameter names; what a source cannot know is left
out. ``missed`` (not a Falco parameter) lists the parameters of an exec that /proc no
longer had when the event was read.
"""

from mamori.sensor.fallback.sensor import EVENT_TYPES, FallbackSensor

__all__ = ["EVENT_TYPES", "FallbackSensor", "probe_all"]


def probe_all() -> dict[str, tuple[bool, str]]:
    """Whether each fallback source can start here, and why not."""
    from mamori.sensor.fallback import audit, fanotify, proc_connector

    return {"proc": proc_connector.probe(), "fanotify": fanotify.probe(), "audit": audit.probe()}
