"""The worker process: wiring of the runtime, its HTTP endpoint and typed status."""
