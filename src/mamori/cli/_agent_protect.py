"""`mamori agent`'s protection options: file integrity, malware scanning, response."""

from __future__ import annotations

from pathlib import Path

import typer

from mamori.alerts import AlertSink
from mamori.app.agent_protect import Protection
from mamori.cli._render import err_console, fail
from mamori.response import Responder


def open_protection(
    sink: AlertSink,
    *,
    fim: bool,
    watch: list[str],
    iocs: Path | None,
    yara: list[Path],
    scan_writes: list[str],
    hostname: str,
    host_drift: bool = True,
) -> Protection | None:
    """The protection the options ask for (None: none); bad files are usage errors."""
    from mamori.protect import (
        DEFAULT_WATCH,
        FileIntegrityMonitor,
        MalwareScanner,
        compile_yara,
        load_iocs,
    )
    from mamori.protect.malware import DEFAULT_WRITE_WATCH

    bad = [p for p in [*watch, *scan_writes] if not p.startswith("/")]
    if bad:
        raise typer.BadParameter(f"not absolute: {', '.join(bad)}", param_hint="--watch")
    monitor = FileIntegrityMonitor(watch or DEFAULT_WATCH, hostname=hostname) if fim else None
    scanner = None
    if iocs is not None or yara:
        try:
            ioc_set = load_iocs(iocs) if iocs is not None else None
            rules = compile_yara(yara) if yara else None
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(str(exc), param_hint="--ioc/--yara") from None
        for warning in ioc_set.warnings if ioc_set is not None else ():
            err_console.print(f"mamori agent: {warning}", highlight=False)
        scanner = MalwareScanner(ioc_set, rules, write_watch=scan_writes or DEFAULT_WRITE_WATCH,
                                 hostname=hostname)  # fmt: skip
    drift = None
    if host_drift:
        from mamori.protect.host_drift import HostDriftMonitor, PackageFiles

        files = PackageFiles.from_root("/")
        if len(files):  # no package database (a distroless host): nothing to compare with
            drift = HostDriftMonitor(files, hostname=hostname)
    if monitor is None and scanner is None and drift is None:
        return None
    return Protection(sink, fim=monitor, scanner=scanner, drift=drift)


def open_responder(policy: Path | None, log: Path | None) -> Responder | None:
    """The responder of a policy file (None without one); a policy that does not load
    ends the run (exit 2) listing every problem with its line."""
    if policy is None:
        return None
    from mamori.response import PolicyError, load_policy

    try:
        loaded = load_policy(policy)
    except PolicyError as exc:
        fail("the response policy does not load:\n" + "\n".join(exc.problems))
    except OSError as exc:
        fail(f"cannot read the response policy: {exc}")
    return Responder(loaded, log_path=log)
