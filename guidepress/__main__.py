import sys

from guidepress.cli import main

sys.exit(main())
