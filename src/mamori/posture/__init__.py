"""Posture: checks judge an Inventory; frameworks map requirements to checks."""
