"""`python -m bot` runs the same command line as `hotline`."""

from bot.cli import main

raise SystemExit(main())
