"""A change set's changes as rain shows them: ``+`` add, ``>`` modify, ``-`` remove; danger on top.

Takes plain rows; replacements and stateful resources come first in the error colour, each with
the properties and parameters that cause it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from services.core.safe_text import safe_text


@dataclass(frozen=True)
class ChangeRow:
    """One resource change, already classified."""

    action: str  # Add | Modify | Remove | …
    logical_id: str
    resource_type: str
    what: str  # "replace", "may replace", "modify", "add", "remove"
    policy: str = ""
    stateful: bool = False
    danger: bool = False  # replaces something, or destroys data
    causes: tuple[str, ...] = ()


MARKS = {"Add": "+", "Modify": ">", "Remove": "-", "Import": "+"}


class ChangesTable(Widget):
    """The review list of a change set."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "changes-table--add",
        "changes-table--modify",
        "changes-table--remove",
        "changes-table--danger",
        "changes-table--cause",
        "changes-table--heading",
    }
    DEFAULT_CSS = """
    ChangesTable { height: auto; padding: 0 1; }
    ChangesTable .changes-table--add { color: $success; }
    ChangesTable .changes-table--modify { color: $accent; }
    ChangesTable .changes-table--remove { color: $error; }
    ChangesTable .changes-table--danger { color: $error; text-style: bold; }
    ChangesTable .changes-table--cause { color: $text-muted; }
    ChangesTable .changes-table--heading { text-style: bold underline; }
    """

    def __init__(self, rows: Sequence[ChangeRow] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: tuple[ChangeRow, ...] = tuple(rows)

    def set_rows(self, rows: Sequence[ChangeRow]) -> None:
        self.rows = tuple(rows)
        self.refresh(layout=True)

    def render(self) -> Text:
        if not self.rows:
            return Text("No changes.")
        style = self.get_component_rich_style
        out = Text()
        danger = [r for r in self.rows if r.danger]
        rest = [r for r in self.rows if not r.danger]
        for title, rows in (("Replacements and databases", danger), ("Other changes", rest)):
            if not rows:
                continue
            if out:
                out.append("\n")
            out.append(title, style=style("changes-table--heading", partial=True))
            for row in rows:
                kind = "danger" if row.danger else {"Add": "add", "Remove": "remove"}.get(row.action, "modify")
                line_style = style(f"changes-table--{kind}", partial=True)
                flags = [f for f in (row.policy, "STATEFUL" if row.stateful else "") if f]
                out.append("\n")
                out.append(f"{MARKS.get(row.action, '?')} {safe_text(row.logical_id):<18} ", style=line_style)
                out.append(f"{row.what:<12} {row.resource_type}", style=line_style)
                if flags:
                    out.append("  [" + ", ".join(flags) + "]", style=line_style)
                for cause in row.causes:
                    out.append("\n      " + safe_text(cause), style=style("changes-table--cause", partial=True))
        return out
