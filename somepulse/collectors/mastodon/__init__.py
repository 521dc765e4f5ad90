"""Mastodon: the organisation account's streaming user stream and REST back-fill."""
