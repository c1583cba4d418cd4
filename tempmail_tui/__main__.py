"""Entry point for ``python -m tempmail_tui``."""

from tempmail_tui.cli import main

raise SystemExit(main())
