"""Bluesky: the account's posts from Jetstream, what others do from its notifications."""
