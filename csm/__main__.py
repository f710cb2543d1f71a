"""`python -m csm`: the command line."""

import sys

from csm.cli import main

sys.exit(main())
