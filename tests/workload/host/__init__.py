"""Host hardening tests (issue 8)."""
