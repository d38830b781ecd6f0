"""``python -m aebook run ...``: the command line lives in :mod:`aebook.book.cli`."""

import sys

from aebook.book.cli import main

if __name__ == "__main__":
    sys.exit(main())
