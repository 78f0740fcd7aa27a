"""deploy/: the agent's systemd unit passes ``systemd-analyze verify`` and its command line
parses with the real CLI; the Kubernetes manifest is valid YAML with what an eBPF agent
needs (privileged, host PID, BTF and debugfs mounts, every mount backed by a volume,
the node's name in alerts); the Containerfile's stages, copies and entry point hold
together. ``podman build`` needs the base image from a registry: not run here."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import typer
import yaml

from mamori.cli.main import app
from tests.support import ROOT, need_tool

DEPLOY = ROOT / "deploy"
MAMORI_BIN = ROOT / ".venv" / "bin" / "mamori"


def _parses(args: list[str]) -> None:
    """The agent's own option parser accepts `args` (nothing runs)."""
    group = typer.main.get_command(app)
    agent = group.get_command(group.make_context("mamori", ["--help"], resilient_parsing=True),  # type: ignore[attr-defined]
                              "agent")  # fmt: skip
    ctx = agent.make_context("agent", list(args), resilient_parsing=False)
    if "--capture-dir" in args:
        assert str(ctx.params["capture_dir"]) == args[args.index("--capture-dir") + 1]


def _unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            sections[current].append((key, value))
    return sections


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    tool = need_tool("systemd-analyze")
    unit = DEPLOY / "systemd" / "mamori-agent.service"
    local = tmp_path / unit.name  # ExecStart pointed at this checkout's mamori
    local.write_text(unit.read_text().replace("/usr/local/bin/mamori", str(MAMORI_BIN)))
    done = subprocess.run([tool, "verify", str(local)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    service = dict(_unit(unit)["Service"])
    exec_args = shlex.split(service["ExecStart"].replace("$MAMORI_AGENT_ARGS", ""))
    assert exec_args[:2] == ["/usr/local/bin/mamori", "agent"]
    _parses(exec_args[2:])
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert set(service["ReadWritePaths"].split()) == {"/var/lib/mamori", "/var/log/mamori"}
    assert "CAP_BPF" in service["CapabilityBoundingSet"]
    assert service["ExecReload"].endswith("-HUP $MAINPID")  # logrotate's reopen
    rotate = (DEPLOY / "logrotate" / "mamori-agent").read_text()
    assert "/var/log/mamori/alerts.json" in rotate and "systemctl reload mamori-agent" in rotate
    for other in ("mamori-scan-aws.service", "mamori-scan-aws.timer"):  # still there
        assert (DEPLOY / "systemd" / other).is_file()


def test_daemonset_has_what_an_ebpf_agent_needs() -> None:
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "mamori-agent.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Namespace", "ServiceAccount", "DaemonSet", "ClusterRole",
                          "ClusterRoleBinding"}  # fmt: skip
    ds: dict[str, Any] = kinds["DaemonSet"]
    assert ds["apiVersion"] == "apps/v1"
    namespace = kinds["Namespace"]["metadata"]["name"]
    assert ds["metadata"]["namespace"] == kinds["ServiceAccount"]["metadata"]["namespace"] == (
        namespace)  # fmt: skip
    assert kinds["Namespace"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "privileged")  # fmt: skip
    template = ds["spec"]["template"]
    labels = template["metadata"]["labels"]
    assert ds["spec"]["selector"]["matchLabels"].items() <= labels.items()
    pod = template["spec"]
    assert pod["hostPID"] is True and pod["serviceAccountName"] == "mamori-agent"
    assert {"operator": "Exists"} in pod["tolerations"]
    (container,) = pod["containers"]
    assert container["securityContext"]["privileged"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert {m["name"] for m in mounts.values()} <= set(volumes)  # every mount has a volume
    for path in ("/sys/kernel/btf", "/sys/kernel/debug"):
        assert volumes[mounts[path]["name"]]["hostPath"]["path"] == path
    assert mounts["/sys/kernel/btf"]["readOnly"] is True
    args = container["args"]
    _parses(args)
    captures = args[args.index("--capture-dir") + 1]
    assert any(captures.startswith(p) for p in mounts)  # captures land on a host volume
    (env,) = [e for e in container["env"] if e["name"] == "MAMORI_HOSTNAME"]
    assert env["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert container["resources"]["limits"]["memory"]
    _kubelet_access(kinds, pod, container, mounts, volumes)
    json.dumps(docs)  # plain data, nothing YAML-specific (anchors, tags)


def _kubelet_access(
    kinds: dict[str, Any], pod: dict[str, Any], container: dict[str, Any],
    mounts: dict[str, Any], volumes: dict[str, Any],
) -> None:  # fmt: skip
    """The kubelet's GET /pods is `get` on nodes/pods (1.33+), and nothing more: not
    nodes/proxy (exec in every pod of the node); the agent finds the kubelet at
    $NODE_NAME and authenticates with a projected token."""
    (rule,) = kinds["ClusterRole"]["rules"]
    assert rule == {"apiGroups": [""], "resources": ["nodes/pods"], "verbs": ["get"]}
    binding = kinds["ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == kinds["ClusterRole"]["metadata"]["name"]
    sa = kinds["ServiceAccount"]["metadata"]
    assert {"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]} in (
        binding["subjects"])  # fmt: skip
    assert pod["serviceAccountName"] == sa["name"]
    (node,) = [e for e in container["env"] if e["name"] == "NODE_NAME"]
    assert node["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    token = volumes[mounts["/var/run/secrets/kubernetes.io/serviceaccount"]["name"]]
    sources = token["projected"]["sources"]
    assert any(s.get("serviceAccountToken", {}).get("path") == "token" for s in sources)
    assert any(s.get("configMap", {}).get("name") == "kube-root-ca.crt" for s in sources)


def _instructions(path: Path) -> list[tuple[str, str]]:
    text = path.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def test_containerfile_stages_copies_and_entrypoint() -> None:
    steps = _instructions(DEPLOY / "container" / "Containerfile")
    froms = [rest for word, rest in steps if word == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS build")
    for word, rest in steps:
        if word == "COPY" and not rest.startswith("--from="):
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source  # the build context has it
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "./scripts/build-bpf" in runs and "sensor.bpf.o" in runs and "libbpf1" in runs
    entry = json.loads(next(rest for word, rest in steps if word == "ENTRYPOINT"))
    cmd = json.loads(next(rest for word, rest in steps if word == "CMD"))
    assert entry == ["mamori", "agent"]
    _parses(cmd)
    assert ("STOPSIGNAL", "SIGTERM") in steps
    python = next(rest for word, rest in steps if word == "ARG" and "PYTHON_IMAGE" in rest)
    assert ":3.11" in python  # pyproject: requires-python >= 3.11
