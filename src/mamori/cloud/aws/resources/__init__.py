"""One module per AWS service; each registers its resource types."""
