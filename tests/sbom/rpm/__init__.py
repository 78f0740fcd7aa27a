"""Tests of the rpmdb readers and the rpm cataloger."""
