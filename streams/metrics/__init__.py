"""Metrics of the field: page directory, office hours, measurement points, score."""
