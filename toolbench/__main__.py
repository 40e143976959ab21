import sys

from toolbench.app.cli import main

sys.exit(main())
