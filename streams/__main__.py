"""``python -m streams``: the stream worker with the configured broker and warehouse."""

import sys

from infra.cli import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
