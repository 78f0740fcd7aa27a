"""Terraform's string built-ins: format verbs (Go's fmt as Terraform exposes it), join,
split, replace (a `/regex/` in RE2 syntax, which Python's `re` reads for the common
cases), substr and the case functions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from mamori.workload.iac.tffuncs import (
    MAX_ITEMS,
    MAX_TEXT,
    FuncError,
    UnsupportedError,
    bounded,
    check_size,
    listed,
    num,
    plain,
    text,
)

# a group holding a quantifier, itself quantified: (a+)+, (a|aa)*... may backtrack for ever
_NESTED = re.compile(r"\((?:[^()]|\\.)*[+*}](?:[^()]|\\.)*\)[+*{]|\((?:[^()]*\|[^()]*)\)[+*{]")


def _format(spec: Any, *args: Any) -> str:
    spec, out, at = text(spec), [], 0
    verbs = re.compile(r"%(?:(\[\d+\])?([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%]))")
    last = 0
    for hit in verbs.finditer(spec):
        out.append(spec[last : hit.start()])
        last = hit.end()
        explicit, flags, width, prec, verb = hit.groups()
        if verb == "%":
            out.append("%")
            continue
        if explicit:
            at = int(explicit[1:-1]) - 1
        if at >= len(args) or at < 0:
            raise FuncError("not enough arguments for format")
        arg = args[at]
        at += 1
        out.append(_verb(arg, flags or "", width, prec, verb))
    out.append(spec[last:])
    return "".join(out)


def _verb(arg: Any, flags: str, width: str, prec: str | None, verb: str) -> str:
    if len(width) > 4 or len(prec or "") > 4:
        raise UnsupportedError("format width or precision too large")
    if verb == "v":
        body = json.dumps(arg, separators=(",", ":")) if isinstance(arg, list | dict) else text(arg)
    elif verb == "s":
        body = text(arg)
    elif verb == "q":  # the precision cuts the string, then it is quoted
        body = json.dumps(text(arg)[: int(prec)] if prec else text(arg), ensure_ascii=False)
    elif verb == "t":
        if not isinstance(arg, bool):
            raise FuncError("%t needs a bool")
        body = text(arg)
    elif verb in "dbox":
        value = num(arg)
        if not isinstance(value, int):
            raise FuncError("an integer is required")
        body = format(value, {"d": "d", "b": "b", "o": "o", "x": "x"}[verb])
        if "+" in flags and value >= 0:
            body = "+" + body
    elif verb == "X":
        body = format(int(num(arg)), "X")
    elif verb in "feEgG":
        body = format(float(num(arg)), f".{prec if prec is not None else 6}{verb}")
        if "+" in flags and not body.startswith("-"):
            body = "+" + body
    else:
        raise UnsupportedError(f"format verb %{verb}")
    if verb in "sv" and prec is not None:
        body = body[: int(prec)]
    if width and len(body) < int(width):
        pad = int(width) - len(body)
        if "-" in flags:
            body += " " * pad
        elif "0" in flags and verb not in "sqv":
            sign = body[0] if body[:1] in "+-" else ""
            body = sign + "0" * pad + body[len(sign) :]
        else:
            body = " " * pad + body
    return body


def _formatlist(spec: Any, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise FuncError("lists of different lengths")
    if not lengths:
        return [_format(spec, *args)]
    count = lengths.pop()
    out, total = [], 0
    if count > MAX_ITEMS:
        raise UnsupportedError("result too large")
    for i in range(count):
        out.append(_format(spec, *[a[i] if isinstance(a, list) else a for a in args]))
        total += len(out[-1])
        if total > MAX_TEXT:
            raise UnsupportedError("result too large")
    return out


def _join(sep: Any, *lists: Any) -> str:
    check_size([sep] * sum(len(item) for item in lists if isinstance(item, list)))
    if not lists:
        raise FuncError("join needs a list")
    return text(sep).join(text(i) for item in lists for i in listed(item))


def _split(sep: Any, value: Any) -> list[str]:
    sep, value = str(text(sep)), str(text(value))
    return bounded(list(value) if sep == "" else value.split(sep))


def _replace(subject: Any, search: Any, replacement: Any) -> str:
    value, old, new = text(subject), text(search), text(replacement)
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        if _NESTED.search(old) or len(value) > 65536:
            raise UnsupportedError("regular expression not evaluated")
        try:
            pattern = re.compile(old[1:-1])
        except re.error:
            raise FuncError("invalid regular expression") from None
        repl = re.sub(r"\$\{?(\w+)\}?", lambda m: f"\\g<{m.group(1)}>", new.replace("\\", "\\\\"))
        try:
            return pattern.sub(repl, value)
        except (re.error, IndexError):
            raise FuncError("invalid replacement") from None
    if old == "":
        raise FuncError("empty search string")
    return value.replace(old, new)


def _substr(subject: Any, offset: Any, length: Any) -> str:
    value, start, size = plain(text(subject)), num(offset), num(length)
    if not isinstance(start, int) or not isinstance(size, int):
        raise FuncError("integers are required")
    if start < 0:
        start = max(len(value) + start, 0)
    return value[start:] if size < 0 else value[start : start + size]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "formatlist": _formatlist,
    "join": _join,
    "split": _split,
    "replace": _replace,
    "substr": _substr,
    "lower": lambda s: "".join(c.lower() if len(c.lower()) == 1 else c for c in text(s)),
    "upper": lambda s: "".join(c.upper() if len(c.upper()) == 1 else c for c in text(s)),
    "trimspace": lambda s: text(s).strip(" \t\n\r\v\f\u00a0\u2028\u2029\u0085"),
}
