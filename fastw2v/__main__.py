"""``python -m fastw2v``: the command line."""
import sys

from .cli import main

sys.exit(main())
