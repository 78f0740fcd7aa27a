"""Reader (and writer) of ``.scap`` captures: sysdig's and Falco's libscap savefile format.

Usage::

    with ScapReader("trace.scap") as reader:   # plain or gzip'd
        engine.load_threads(reader.threads)
        engine.load_fds(reader.fds)
        engine.load_users(reader.users, reader.groups)
        for event in reader.events():          # SyscallEvent, streamed
            ...
"""

from __future__ import annotations

from mamori.captures.scap.blocks import CaptureError, TruncatedCaptureError
from mamori.captures.scap.events import EVENTS, EventInfo, ParamInfo, codes_for, event_info
from mamori.captures.scap.metadata import GroupInfo, Interface, MachineInfo, UserInfo
from mamori.captures.scap.reader import CaptureWarning, ScapReader, read_events
from mamori.captures.scap.writer import ScapWriter, newest_code

__all__ = [
    "EVENTS",
    "CaptureError",
    "CaptureWarning",
    "EventInfo",
    "GroupInfo",
    "Interface",
    "MachineInfo",
    "ParamInfo",
    "ScapReader",
    "ScapWriter",
    "TruncatedCaptureError",
    "UserInfo",
    "codes_for",
    "event_info",
    "newest_code",
    "read_events",
]
