"""`python -m stancekit` runs the command-line interface."""

from stancekit.cli import main

raise SystemExit(main())
