"""Alembic revisions, one module per schema change (`v<rev>_<slug>.py`)."""
