"""``python -m dashboard`` is the same as the ``riskmap`` command."""

from dashboard.cli import main

raise SystemExit(main())
