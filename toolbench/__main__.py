import sys

from toolbench.cli import main

sys.exit(main())
