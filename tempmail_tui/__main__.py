"""Entry point for ``python -m tempmail_tui``."""

from tempmail_tui.console import main

raise SystemExit(main())
