"""Live state kept by the worker: per-minute engagement and the open-question queue,
a fast cache of what ClickHouse records, rebuilt from it."""
