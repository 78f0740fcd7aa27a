"""Kubernetes checks: one folder per check (`provider: k8s` in its metadata), judging the
objects of manifests (`mamori.workload.k8s`) as CloudResources of type `k8s.<Kind>`.

Shared logic lives in the private modules: `_pod` (pods inside objects, one verdict per
object), `_pss_baseline` / `_pss_restricted` (the Pod Security Standards by policy
version), `_hardening` (CIS 5.2/5.4/5.7 and NSA/CISA container rules), `_rbac` and
`_cluster` (RBAC, service accounts, namespaces).
"""
