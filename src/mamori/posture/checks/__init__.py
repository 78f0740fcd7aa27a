"""Checks, one folder each, per provider."""
