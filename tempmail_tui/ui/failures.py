"""Unexpected failures in the UI: a one-line toast for the user, the traceback for the log."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.dom import DOMNode

log = logging.getLogger("tempmail_tui.ui")

F = TypeVar("F", bound=Callable[..., Any])


def one_line(error: BaseException) -> str:
    """The error's class and message on one cleaned line (messages may quote a stranger)."""
    # Imported on the first failure: the first frame does without the sanitizer's patterns.
    from tempmail_tui.core.sanitize import clean_line

    text = clean_line(str(error), max_chars=200)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def report_unexpected(app: App[Any], what: str, error: BaseException) -> None:
    """Log an unexpected error with its traceback and show the user what failed and why."""
    log.error("%s failed unexpectedly", what, exc_info=error)
    app.notify(
        f"{what} failed: {one_line(error)} (details in the log)",
        title="Unexpected error",
        severity="error",
        timeout=12,
        markup=False,
    )


def guarded(what: str) -> Callable[[F], F]:
    """Make a handler's unexpected error a reported failure rather than the end of the app.

    Textual stops a widget's message loop (and the app) when a handler raises; for the
    handlers of this app a failure of one event is news for the user, not a reason to quit.
    """

    def decorate(method: F) -> F:
        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def run_async(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await method(node, *args, **kwargs)
                except Exception as error:
                    report_unexpected(node.app, what, error)
                    return None

            return run_async  # type: ignore[return-value]

        @functools.wraps(method)
        def run(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(node, *args, **kwargs)
            except Exception as error:
                report_unexpected(node.app, what, error)
                return None

        return run  # type: ignore[return-value]

    return decorate
