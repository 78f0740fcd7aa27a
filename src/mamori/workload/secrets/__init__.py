"""Secrets in files: detectors for known token formats and high-entropy assignments, a
scanner that never follows symlinks out of its root, and the `scan secrets` use case.

mask.py       how a secret is shown (the only form that ever leaves the detectors)
entropy.py    Shannon entropy and the placeholder allow-list
detectors.py  text -> SecretMatch (rule, line, column, masked value), never the secret
walk.py       files under a root: no symlinks, no devices, size cap, binaries sniffed
scan.py       walk -> detect -> suppress -> ScanReport (findings of kind SECRET)
"""
