"""What people run: the ``somepulse`` command and its subcommands."""
