"""``python -m icl_theory``: the same command line as ``icl-theory``."""

import sys

from icl_theory.cli import main

sys.exit(main())
