"""Workload configuration scanning (issue 8): Kubernetes manifests first."""
