"""Imports of the export files teams download (X, LinkedIn, YouTube Studio)."""
