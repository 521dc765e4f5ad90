"""``python -m somepulse``: the same as the ``somepulse`` command."""

import sys

from somepulse.tools.cli import main

sys.exit(main())
