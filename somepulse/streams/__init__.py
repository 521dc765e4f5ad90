"""The Faust app, its agents and the ingest line: consumer (agents) -> pure processor ->
batched writer, acked only after the rows are stored."""
