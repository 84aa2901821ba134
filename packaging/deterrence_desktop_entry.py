"""PyInstaller's entry script: the same `main` as the `deterrence-desktop` console script."""
import sys

from deterrence_desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
