"""A focused list's cursor key run at the list when Textual would run it there anyway.

Textual hands a key to the focused widget, which passes it up through each ancestor's
message queue to the app, and only there the app looks for a binding, starting with the
focused widget's. For a cursor key of the message list that is four dispatches for nothing.
Run at the list instead, the key must come to the same binding at the same point in the
sequence of keys: the list still has the focus (the app looks from the focus of the moment
the key arrives), no ancestor would handle the key on its way, and no earlier key (or
anything an earlier key set off) is still queued on the way up or running at the app.
Keys typed together (``shift+tab``, ``home``, ``enter`` in one read) are all handed to the
list before the first reaches the app: the later ones must wait for it, as in Textual,
else they would move the list the first key was leaving.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.widget import Widget

#: Keys being run at the app after bubbling, per app that counts them (see ``bubbled``).
_AT_WORK: WeakKeyDictionary[App[Any], int] = WeakKeyDictionary()


def count_keys(app: App[Any]) -> None:
    """Let the keys of ``app`` run early: it counts the keys it is running (``bubbled``)."""
    _AT_WORK.setdefault(app, 0)


async def bubbled(
    app: App[Any], event: events.Event, handle: Callable[[events.Event], Awaitable[None]]
) -> None:
    """Handle an event at the app, counting a key that came back up while its binding runs."""
    if not (isinstance(event, events.Key) and event.is_forwarded and app in _AT_WORK):
        await handle(event)
        return
    _AT_WORK[app] += 1
    try:
        await handle(event)
    finally:
        _AT_WORK[app] -= 1


async def run_here(widget: Widget, event: events.Key, actions: frozenset[str]) -> bool:
    """Run ``event``'s binding on ``widget`` now if it is one of ``actions`` and Textual would.

    True when it ran (the key is then stopped): False leaves the key to bubble as usual.
    """
    bindings = widget._bindings.key_to_bindings.get(event.key)
    if not bindings or any(b.priority or b.action not in actions for b in bindings):
        return False
    if not _nothing_ahead(widget, event):
        return False
    for binding in bindings:
        if await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


def _nothing_ahead(widget: Widget, event: events.Key) -> bool:
    """Whether the key would come to ``widget``'s own binding, with nothing before it."""
    app = widget.app
    if _AT_WORK.get(app) != 0 or app.focused is not widget or widget.loading:
        return False
    # A keymap rewrites bindings as the app looks for them (not here).
    if getattr(app, "_keymap", None):
        return False
    names = tuple(event.name_aliases)
    if _key_methods(type(widget), names):
        return False
    node = widget._parent
    while node is not None:
        if _pending(node):
            return False
        if node is not app and isinstance(node, DOMNode) and _handles_keys(type(node), names):
            return False
        node = node._parent
    return True


def _pending(node: MessagePump) -> bool:
    """Whether ``node`` has messages or callbacks waiting."""
    return not node._message_queue.empty() or bool(node._next_callbacks)


def _key_methods(kind: type[DOMNode], names: tuple[str, ...]) -> bool:
    """Whether ``kind`` has a ``key_`` method for a key of these names (Textual calls it first)."""
    return any(hasattr(kind, f"key_{name}") or hasattr(kind, f"_key_{name}") for name in names)


@cache
def _handles_keys(kind: type[DOMNode], names: tuple[str, ...]) -> bool:
    """Whether an ancestor of ``kind`` does anything with a key of these names on its way up."""
    return _key_methods(kind, names) or any(
        _own_key_handler(cls) for cls in _below_widget(kind.__mro__)
    )


def _below_widget(mro: Iterable[type]) -> Iterable[type]:
    """The classes of an MRO above Textual's Widget (whose key handler only finds key_ methods)."""
    for cls in mro:
        if cls is Widget:
            return
        yield cls


def _own_key_handler(cls: type) -> bool:
    """Whether ``cls`` itself defines a handler of key events."""
    if "on_key" in cls.__dict__ or "_on_key" in cls.__dict__:
        return True
    decorated = cls.__dict__.get("_decorated_handlers") or {}
    return any(issubclass(events.Key, kind) for kind in decorated)
