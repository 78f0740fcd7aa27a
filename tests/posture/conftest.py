"""Posture tests seed the same moto server as the collector tests: share its fixtures."""

from tests.cloud.conftest import aws, moto_url, target

__all__ = ["aws", "moto_url", "target"]
