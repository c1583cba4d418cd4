"""tempmail-tui: a terminal mail reader for Temp Mail throwaway mailboxes."""

__version__ = "0.1.0"
