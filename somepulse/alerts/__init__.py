"""Surge detection: rules, the pure detector, the stream driver and alert delivery."""
