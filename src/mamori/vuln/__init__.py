"""Vulnerability assessment: version schemes, the advisory database, matching."""
