"""Readers of recorded runtime activity (``.scap`` captures), producing the runtime
event model of ``mamori.model.events``."""
