"""The change set's parameter form: current values, descriptions, warnings; changed values highlighted.

Plain data in (:class:`ParamField`), the new values out (:meth:`ParameterForm.changed_values`).
No-echo parameters start empty and stay unchanged unless something is typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from services.core.safe_text import safe_text


@dataclass(frozen=True)
class ParamField:
    """One template parameter as the form shows it."""

    key: str
    current: str
    description: str = ""
    warning: str = ""
    allowed: tuple[str, ...] = ()
    no_echo: bool = False
    prefill: str | None = None  # a proposed new value (e.g. a snapshot from the snapshot screen)


class ParameterRow(Vertical):
    """Label, editor and notes of one parameter."""

    DEFAULT_CSS = """
    ParameterRow { height: auto; padding: 0 1; }
    ParameterRow Horizontal { height: auto; }
    ParameterRow .key { width: 28; padding-top: 1; }
    ParameterRow Input, ParameterRow Select { width: 1fr; }
    ParameterRow .notes { color: $text-muted; padding-left: 28; }
    ParameterRow .warning { color: $warning; padding-left: 28; }
    ParameterRow.-changed .key { color: $warning; text-style: bold; }
    ParameterRow.-changed { background: $warning 10%; }
    """

    def __init__(self, field: ParamField) -> None:
        super().__init__(id=f"param-{field.key}")
        self.field = field

    def compose(self) -> ComposeResult:
        f = self.field
        start = f.prefill if f.prefill is not None else ("" if f.no_echo else f.current)
        with Horizontal():
            yield Label(Text(safe_text(f.key)), classes="key")
            if f.allowed and not f.no_echo:
                options = [(v, v) for v in f.allowed]
                if start not in f.allowed:
                    options.insert(0, (start, start))
                yield Select(options, value=start, allow_blank=False, id=f"value-{f.key}")
            else:
                placeholder = "(unchanged, hidden)" if f.no_echo else ""
                yield Input(start, placeholder=placeholder, password=f.no_echo, id=f"value-{f.key}")
        if f.description:
            yield Static(Text(safe_text(f.description)), classes="notes")
        if f.warning:
            yield Static(Text("⚠ " + safe_text(f.warning)), classes="warning")

    def on_mount(self) -> None:
        self.set_class(self.value() is not None, "-changed")

    def value(self) -> str | None:
        """The new value, or None when it stays as it is."""
        editor = self.query_one(f"#value-{self.field.key}")
        raw = str(editor.value) if isinstance(editor, (Input, Select)) else ""
        if self.field.no_echo:
            return raw or None
        return None if raw == self.field.current else raw


class ParameterForm(VerticalScroll):
    """Every parameter of the template, editable."""

    DEFAULT_CSS = """
    ParameterForm { height: 1fr; }
    """

    class Changed(Message):
        """The set of changed parameters is different now."""

        def __init__(self, changed: tuple[str, ...]) -> None:
            super().__init__()
            self.changed = changed

    def __init__(self, fields: Sequence[ParamField] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.fields = tuple(fields)

    def compose(self) -> ComposeResult:
        for f in self.fields:
            yield ParameterRow(f)

    def changed_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for row in self.query(ParameterRow):
            value = row.value()
            if value is not None:
                values[row.field.key] = value
        return values

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self, event: Input.Changed | Select.Changed) -> None:
        for row in self.query(ParameterRow):
            row.set_class(row.value() is not None, "-changed")
        self.post_message(self.Changed(tuple(self.changed_values())))
