"""YouTube: a channel's videos, comments and statistics within the daily quota."""
