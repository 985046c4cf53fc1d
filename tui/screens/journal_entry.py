"""One journal entry's fields as a tree (Enter in the Journal view); Escape closes it."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from services.core.safe_text import safe_text
from services.journal.parse import JournalEntry

MAX_VALUE = 2000  # characters of one value shown in the tree


def _label(key: str, value: Any) -> Text:
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    shown = safe_text(shown)
    if len(shown) > MAX_VALUE:
        shown = f"{shown[:MAX_VALUE]} … [+{len(shown) - MAX_VALUE:,} chars]"
    label = Text(safe_text(key), style="bold")
    label.append(" = ")
    label.append(shown)
    return label


def _add(node: TreeNode[None], key: str, value: Any) -> None:
    if isinstance(value, dict) and value:
        branch = node.add(Text(safe_text(key), style="bold"), expand=True)
        for k, v in value.items():
            _add(branch, str(k), v)
    else:
        node.add_leaf(_label(key, value))


class JournalEntryScreen(ModalScreen[None]):
    """The entry's message, the stack's structured fields and journald's fields."""

    DEFAULT_CSS = """
    JournalEntryScreen { align: center middle; }
    JournalEntryScreen > Vertical { width: 90%; height: 85%; border: thick $accent; background: $surface; }
    JournalEntryScreen Tree { height: 1fr; }
    JournalEntryScreen #entry-title { padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, entry: JournalEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        e = self.entry
        with Vertical():
            title = safe_text(f"#{e.seqnum} {e.timestamp.isoformat()} {e.level} {e.namespace}")
            yield Static(Text(title), id="entry-title")
            tree: Tree[None] = Tree(Text(f"entry #{e.seqnum}"), id="entry-tree")
            tree.root.expand()
            _add(tree.root, "message", e.message)
            stack = {k: v for k, v in e.fields.items() if not (k[:1].isupper() or k.startswith("_"))}
            journal = {k: v for k, v in e.fields.items() if k[:1].isupper() or k.startswith("_")}
            if stack:
                _add(tree.root, "stack fields", stack)
            _add(tree.root, "journal fields", journal or {"(none)": ""})
            yield tree

    def on_mount(self) -> None:
        self.query_one(Tree).focus()
