"""Components the project starts itself in embedded mode (the Tansu broker)."""
