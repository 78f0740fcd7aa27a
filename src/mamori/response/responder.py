"""The responder: an alert in, the policy's actions out, every one logged.

    responder = Responder(load_policy("/etc/mamori/response.yaml")).start()
    results = responder(alert, ResponseContext.from_view(view))   # list[ActionResult]
    responder.stop()

``start`` applies the standing mitigations (exec deny on the policy's mounts, connect
deny per cgroup); ``__call__`` runs the actions of every response whose match the alert
meets. Each action's outcome (done, failed, refused, or dry run) is one JSON line
(``time rule action target dry_run ok detail``) in the log file and one message to the
``mamori.response`` logger. Nothing an action does can raise out of ``__call__``: a
failure, even an unexpected exception, is a result with ``ok`` false.

``__call__`` runs the actions at once, in the caller's thread (a kill takes well under a
millisecond, but stopping a container through podman can take its stop timeout). The
agent's event loop should use ``submit`` instead: a bounded queue and one worker
thread (started by ``start``); when the queue is full the alert's actions are logged
as failed ("response queue full"), never blocking the loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from mamori.alerts import Alert
from mamori.response.actions import HANDLERS, Env, TargetError
from mamori.response.base import ActionError, ActionResult, ResponseContext
from mamori.response.connect_deny import ConnectDeny
from mamori.response.container import cgroup_dir
from mamori.response.exec_deny import ExecDecision, ExecDeny
from mamori.response.policy import Policy, parse_destination
from mamori.response.quarantine import Quarantine
from mamori.sensor._libbpf import BpfError

log = logging.getLogger("mamori.response")
MITIGATION = "(mitigation)"
_RECENT = 1000
_QUEUE = 1024


class Responder:
    """See the module docstring. ``log_path`` overrides the policy's ``log``."""

    def __init__(
        self,
        policy: Policy,
        *,
        log_path: Path | None = None,
        podman_socket: Path | None = None,
        quarantine_dir: Path | None = None,
    ) -> None:
        self.policy = policy
        self.log_path = log_path or (Path(policy.log) if policy.log else None)
        self.env = Env(quarantine=Quarantine(quarantine_dir or Path(policy.quarantine_dir)))
        if podman_socket is not None:
            self.env.podman_socket = podman_socket
        self.recent: deque[ActionResult] = deque(maxlen=_RECENT)
        self._lock = threading.Lock()
        self._act_lock = threading.Lock()
        self._log: IO[str] | None = None
        self._queue: queue.Queue[tuple[Alert, ResponseContext] | None] = queue.Queue(_QUEUE)
        self._worker: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> Responder:
        """Apply the mitigations; each is logged as a result (a failed one does not stop
        the others, nor the responder)."""
        exec_policy = self.policy.mitigations.exec
        if exec_policy is not None:
            dry = self.policy.dry_run
            deny = ExecDeny(exec_policy.mounts, deny_paths=exec_policy.deny_paths,
                            deny_sha256=exec_policy.deny_sha256, timeout=exec_policy.timeout,
                            mark=exec_policy.mark,
                            dry_run=dry, on_decision=self._exec_decided)  # fmt: skip
            target = ",".join(exec_policy.mounts)
            try:
                deny.start()
                self.env.exec_deny = deny
                self._emit(ActionResult(MITIGATION, "deny_exec", target, dry, True,
                                        f"fanotify exec permission marks on {target}"))  # fmt: skip
            except OSError as exc:
                self._emit(ActionResult(MITIGATION, "deny_exec", target, dry, False, str(exc)))
        for item in self.policy.mitigations.connect:
            self._start_connect(item.cgroup, item.deny)
        self._worker = threading.Thread(target=self._work, name="mamori-responder", daemon=True)
        self._worker.start()
        return self

    def _start_connect(self, cgroup_text: str, destinations: tuple[str, ...]) -> None:
        cgroup = cgroup_dir(cgroup_text)
        dry = self.policy.dry_run
        target = f"{cgroup}: {', '.join(destinations)}"
        if dry:
            self._emit(ActionResult(MITIGATION, "deny_connect", target, True, True,
                                    f"would deny {len(destinations)} destination(s)"))  # fmt: skip
            return
        deny = ConnectDeny(cgroup)
        try:
            deny.start()
            for text in destinations:
                addr, port = parse_destination(text)
                deny.deny(addr, port)
        except (BpfError, OSError, ValueError) as exc:
            deny.stop()
            self._emit(ActionResult(MITIGATION, "deny_connect", target, False, False, str(exc)))
            return
        self.env.connect_deny[cgroup] = deny
        self._emit(ActionResult(MITIGATION, "deny_connect", target, False, True,
                                "cgroup/connect4 and connect6 attached"))  # fmt: skip

    def stop(self) -> None:
        """Finish the submitted alerts (waits at most 30 s), allow pending execs and
        remove the exec marks, detach the connect programs, close the log."""
        if self._worker is not None:
            worker, self._worker = self._worker, None  # submit() now logs, not queues
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=30)
            worker.join(timeout=30)
        if self.env.exec_deny is not None:
            self.env.exec_deny.stop()
            self.env.exec_deny = None
        for deny in self.env.connect_deny.values():
            deny.stop()
        self.env.connect_deny.clear()
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> Responder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- alerts -----------------------------------------------------------------------
    def __call__(self, alert: Alert, context: ResponseContext) -> list[ActionResult]:
        results = []
        for response in self.policy.for_alert(alert.rule, alert.tags, int(alert.priority)):
            for spec in response.actions:
                dry = self.policy.dry_run if spec.dry_run is None else spec.dry_run
                results.append(self._run(spec, alert, context, dry))
        return results

    def submit(self, alert: Alert, context: ResponseContext) -> bool:
        """Queue an alert for the worker thread (never blocks). False when the queue is
        full or the responder is not started: the alert's actions are then logged as
        failed, so a dropped response is never silent."""
        if self._worker is not None:
            try:
                self._queue.put_nowait((alert, context))
                return True
            except queue.Full:
                pass
        why = "response queue full" if self._worker is not None else "responder not started"
        for response in self.policy.for_alert(alert.rule, alert.tags, int(alert.priority)):
            for spec in response.actions:
                dry = self.policy.dry_run if spec.dry_run is None else spec.dry_run
                self._emit(ActionResult(alert.rule, spec.action, "", dry, False, why), context)
        return False

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self(*item)
            except Exception:  # __call__ already contains every action's failure
                log.exception("responder worker")

    def _run(self, spec: Any, alert: Alert, ctx: ResponseContext, dry: bool) -> ActionResult:
        name = spec.action
        try:
            with self._act_lock:  # the worker and a direct call share the engines
                target, detail, data = HANDLERS[name](spec, alert, ctx, self.env, dry)
            result = ActionResult(alert.rule, name, target, dry, True, detail, data=data)
        except TargetError as exc:
            result = ActionResult(alert.rule, name, exc.target, dry, False, str(exc))
        except ActionError as exc:
            result = ActionResult(alert.rule, name, "", dry, False, str(exc))
        except Exception as exc:  # a bug must never take the agent down
            log.exception("response action %s failed unexpectedly", name)
            result = ActionResult(alert.rule, name, "", dry, False, f"internal error: {exc!r}")
        self._emit(result, ctx)
        return result

    def _exec_decided(self, decision: ExecDecision) -> None:
        """Exec deny's verdicts (denied, dry-run, watchdog) become logged results."""
        target = decision.path or f"pid {decision.pid}"
        detail = f"pid {decision.pid}: {decision.reason} ({decision.latency * 1e3:.2f} ms)"
        data = {"pid": decision.pid, "sha256": decision.sha256} if decision.sha256 else {}
        ok = decision.denied or not decision.timed_out
        self._emit(ActionResult(MITIGATION, "deny_exec", target, self.policy.dry_run, ok, detail,
                                data=data))  # fmt: skip

    # -- the log ----------------------------------------------------------------------
    def _emit(self, result: ActionResult, ctx: ResponseContext | None = None) -> None:
        doc = result.json()
        if ctx is not None:
            doc["context"] = ctx.json()
        line = json.dumps(doc, sort_keys=False, default=str)
        with self._lock:
            self.recent.append(result)
            log.log(logging.INFO if result.ok else logging.WARNING, "%s", line)
            if self.log_path is None:
                return
            try:
                if self._log is None:
                    self.log_path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                                 | os.O_CLOEXEC, 0o600)  # fmt: skip
                    self._log = os.fdopen(fd, "a", buffering=1)
                self._log.write(line + "\n")
            except OSError as exc:
                log.error("cannot write the response log %s: %s", self.log_path, exc)
