"""`python -m fresh_viz`: the command line (see `fresh_viz.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
