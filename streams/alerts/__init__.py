"""Surge detection: the stream detector, its rules and alert delivery."""
