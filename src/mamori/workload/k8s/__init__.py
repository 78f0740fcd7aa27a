"""Kubernetes manifests: a bounded YAML loader, objects as assets, the `scan k8s` use case.

yamlsafe.py   multi-document YAML -> plain values + the line of every key and item,
              with caps on bytes, documents, depth and expanded nodes (alias bombs)
manifests.py  files -> Kubernetes objects (List kinds, Helm `# Source:` comments,
              pod templates, inline `# mamori:ignore` comments) -> CloudResources
config.py     `.mamori.yaml`: exceptions and severity overrides
scan.py       load -> run the k8s posture checks -> suppress -> ScanReport
sarif.py      SARIF 2.1.0 for misconfiguration findings (the shared workload/sarif.py)
"""
