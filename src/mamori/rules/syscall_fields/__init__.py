"""The field catalogue of the ``syscall`` source: names, types and arguments.

Written from Falco's field reference (``falco --list=syscall``, falco.org "Supported
Fields for Conditions and Outputs") so that rules written for Falco validate here.
Extraction is not here: extractors come with the process/fd state engine and attach
to the source built in `mamori.rules.sources.syscall`.

Each table line is ``name TYPE FLAGS description``; FLAGS is ``-`` or letters:
``i``/``I`` optional/required index argument, ``k``/``K`` optional/required key (name
or index), ``p``/``P`` optional/required path (index or path glob), ``.`` the argument
may also be written after a dot (``evt.arg.name``), ``L`` list-valued, ``D`` deprecated.
"""

from __future__ import annotations

from mamori.rules.source import ArgKind, FieldArg, FieldInfo, FieldType

_TYPES = {
    "CHARBUF": FieldType.STRING,
    "UINT64": FieldType.UINT64,
    "UINT32": FieldType.UINT64,
    "UINT16": FieldType.UINT64,
    "INT64": FieldType.INT64,
    "INT32": FieldType.INT64,
    "INT16": FieldType.INT64,
    "DOUBLE": FieldType.DOUBLE,
    "BOOL": FieldType.BOOL,
    "IPADDR": FieldType.IPADDR,
    "IPNET": FieldType.IPNET,
    "PORT": FieldType.PORT,
    "BYTEBUF": FieldType.BYTES,
    "RELTIME": FieldType.RELTIME,
    "ABSTIME": FieldType.ABSTIME,
    "DYNAMIC": FieldType.DYNAMIC,
}

_ARGS = {"i": ArgKind.INDEX, "k": ArgKind.KEY, "p": ArgKind.PATH}


def parse_table(text: str) -> list[FieldInfo]:
    """Parse a catalogue table (see the module docstring)."""
    out: list[FieldInfo] = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        name, typ, flags, *desc = line.split(None, 3)
        arg: FieldArg | None = None
        for letter in flags:
            kind = _ARGS.get(letter.lower())
            if kind is not None:
                arg = FieldArg(kind, required=letter.isupper(), dotted="." in flags)
        out.append(
            FieldInfo(
                name=name,
                type=_TYPES[typ],
                desc=desc[0] if desc else "",
                arg=arg,
                is_list="L" in flags,
                deprecated="D" in flags,
            )
        )
    return out


def syscall_fields() -> list[FieldInfo]:
    """Every field of the ``syscall`` source."""
    from mamori.rules.syscall_fields import container, evt, fd, proc

    return [
        *parse_table(evt.TABLE),
        *parse_table(proc.TABLE),
        *parse_table(fd.TABLE),
        *parse_table(container.TABLE),
    ]
