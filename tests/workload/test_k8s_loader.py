"""The manifest loader: multi-document YAML with lines, List kinds, Helm output, pod
templates, inline suppressions; hostile YAML is a per-file error, never a crash or
unbounded memory. Fuzzed with hypothesis (bounded examples)."""

from __future__ import annotations

import resource
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.workload.k8s.manifests import ManifestSet, load_file, load_manifests
from mamori.workload.k8s.yamlsafe import MAX_NODES, YamlError, iter_documents

HELM = """---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: shop
          image: "shop:1.0"
          securityContext:
            privileged: true   # mamori:ignore k8s_pss_privileged the node agent needs it
"""


def one(tmp_path: Path, text: str, name: str = "m.yaml") -> ManifestSet:
    path = tmp_path / name
    path.write_text(text)
    return load_manifests(path)


def test_helm_output_keeps_template_sources_lines_and_suppressions(tmp_path: Path) -> None:
    found = one(tmp_path, HELM)
    assert not found.errors and found.documents == 2
    sa, deploy = found.resources
    assert sa.attributes["helm_source"] == "shop/templates/serviceaccount.yaml"
    assert deploy.attributes["helm_source"] == "shop/templates/deployment.yaml"
    assert (sa.attributes["line"], deploy.attributes["line"]) == (3, 9)
    lines = deploy.attributes["lines"]
    assert lines["/spec/template/spec/containers/0/securityContext/privileged"] == 20
    assert deploy.attributes["pod_path"] == "/spec/template"
    assert deploy.attributes["suppressions"] == {"k8s_pss_privileged": "the node agent needs it"}
    assert sa.attributes["suppressions"] == {}


def test_list_kinds_become_one_object_per_item(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: []}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, namespace: x}\n"
        "- just a string\n"
    )
    found = one(tmp_path, text)
    assert [(r.attributes["kind"], r.attributes["item"]) for r in found.resources] == [
        ("Pod", 0),
        ("ConfigMap", 1),
    ]
    pod, cm = found.resources
    assert pod.attributes["line"] == 4 and pod.attributes["pod_path"] == ""
    assert cm.attributes["namespace"] == "x" and "pod_path" not in cm.attributes
    assert pod.id != cm.id


def test_pod_templates_of_every_workload_kind(tmp_path: Path) -> None:
    docs = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        docs.append(
            f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: w}}\nspec:\n  template: {{}}\n"
        )
    docs.append(
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: r}\n"
        "spec:\n  template: {spec: {}}\n"
    )
    docs.append(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\n"
        "spec:\n  jobTemplate:\n    spec:\n      template: {spec: {}}\n"
    )
    docs.append("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n")
    found = one(tmp_path, "---\n".join(docs))
    paths = {r.attributes["kind"]: r.attributes.get("pod_path") for r in found.resources}
    assert paths["CronJob"] == "/spec/jobTemplate/spec/template"
    assert paths["ReplicationController"] == "/spec/template"
    assert all(paths[k] == "/spec/template" for k in ("Deployment", "StatefulSet", "Job"))
    assert paths["Service"] is None


def test_values_follow_yaml_1_1_like_kubernetes(tmp_path: Path) -> None:
    docs = list(
        iter_documents(
            "a: on\nb: 'on'\nc: 0x10\nd: 2001-12-14\ne: !custom x\nf: ~\n"
            "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n"
        )
    )
    assert docs[0].value == {
        "a": True,
        "b": "on",
        "c": 16,
        "d": "2001-12-14",
        "e": "x",
        "f": None,
        "base": {"x": 1, "y": 2},
        "m": {"x": 1, "y": 3},
    }
    assert docs[0].value == yaml.safe_load(
        "a: on\nb: 'on'\nc: 0x10\nd: '2001-12-14'\ne: x\nf: ~\n"
        "base: {x: 1, y: 2}\nm: {x: 1, y: 3}\n"
    )


def test_non_mapping_documents_and_syntax_errors_are_file_errors(tmp_path: Path) -> None:
    found = one(
        tmp_path, "- a\n- b\n---\n42\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
    )
    assert len(found.errors) == 2 and len(found.resources) == 1
    assert "not a mapping" in found.errors[0].message
    bad = one(tmp_path, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n", "bad.yaml")
    assert bad.resources == [] and bad.errors[0].line is not None
    assert bad.errors[0].path == "bad.yaml"


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_hostile_yaml_is_a_bounded_error(tmp_path: Path) -> None:
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    before = _peak_kib()
    cases = {
        "bomb.yaml": laughs,
        "deep.yaml": "[" * 50_000,
        "deepmap.yaml": "".join(" " * i + "k:\n" for i in range(400)),
        "recursive.yaml": "a: &a [*a]\n",
        "binary.yaml": "\x00\x01\x02garbage: [",
        "tabs.yaml": "a:\n\t- b\n",
    }
    for name, text in cases.items():
        found = one(tmp_path, text, name)
        assert found.errors, name
        assert found.resources == [], name
    assert _peak_kib() - before < 200_000  # the bomb never expands
    assert MAX_NODES <= 1_000_000


def test_oversized_files_are_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("a: " + "x" * (9 * 1024 * 1024) + "\n")
    found = load_manifests(big)
    assert found.errors and "larger than" in found.errors[0].message


def test_directory_walk_skips_symlinks_out_and_non_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "notes.txt").write_text("apiVersion: v1\nkind: ConfigMap\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")
    (tmp_path / "link.yaml").symlink_to(outside)
    found = load_manifests(tmp_path)
    assert [r.attributes["kind"] for r in found.resources] == ["ConfigMap"]
    assert [e.path for e in found.errors] == ["link.yaml"]  # not followed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_fuzz_arbitrary_text_never_crashes(text: str) -> None:
    try:
        for doc in iter_documents(text):
            assert doc.region[0] <= doc.region[1]
    except YamlError:
        pass


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.floats(allow_nan=False)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_values, min_size=1, max_size=4))
def test_fuzz_documents_round_trip_like_pyyaml(values: list[object]) -> None:
    text = yaml.safe_dump_all(values)
    assert [d.value for d in iter_documents(text)] == list(yaml.safe_load_all(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from([b"", b"apiVersion: v1\nkind: Pod\n"]))
def test_fuzz_load_file_never_raises(tmp_path_factory: object, data: bytes, head: bytes) -> None:
    folder = tmp_path_factory.mktemp("fz")  # type: ignore[attr-defined]
    path = folder / "f.yaml"
    path.write_bytes(head + data)
    found = ManifestSet(root=str(folder))
    load_file(path, folder, found)
    assert found.files == 1


def test_unrendered_helm_templates_say_so_and_config_is_not_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n  {{- with .Values.x }}\n"
    )
    (tmp_path / ".mamori.yaml").write_text("severity: {}\n")
    found = load_manifests(tmp_path)
    assert found.files == 1
    assert "unrendered Helm template" in found.errors[0].message


def test_list_item_suppressions_stay_with_their_item(tmp_path: Path) -> None:
    text = (
        "# mamori:ignore k8s_default_namespace_unused generated list, namespace set by -n\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n"
        "  spec:\n    hostPID: true  # mamori:ignore k8s_pss_host_namespaces debug pod\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec: {hostPID: true}\n"
    )
    a, b = one(tmp_path, text).resources
    shared = {"k8s_default_namespace_unused": "generated list, namespace set by -n"}
    assert a.attributes["suppressions"] == {**shared, "k8s_pss_host_namespaces": "debug pod"}
    assert b.attributes["suppressions"] == shared
