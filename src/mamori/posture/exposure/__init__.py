"""Exposure analysis: which assets the internet can reach, and the evidence for it."""
