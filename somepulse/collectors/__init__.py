"""Collectors: everything that publishes events to Kafka (scenario, replay)."""
