"""The change set's parameter form: current values, descriptions, warnings; changed values highlighted.

Plain data in (:class:`ParamField`), the new values out (:meth:`ParameterForm.changed_values`).
No-echo parameters start empty and locked: a stray key can never land in a hidden secret; the
operator unlocks one explicitly ("Set new value") and it stays unchanged unless something is typed.
:meth:`ParameterForm.show_matching` narrows the rows to the names that contain what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

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


class FormInput(Input):
    """An Input that keeps typed-ahead keys in order.

    Textual hands each key to the focused widget's own queue, so keys typed faster than a focus
    change are already queued here when the focus moves. Tab and Enter are handled here, in
    queue order (Enter calls ``on_enter``), and keys that arrive after the focus has moved on are
    passed to the field that has it now, in the order they were typed; when the focus is on
    something else (a button, the unlock of a hidden value) they are dropped rather than acted on.
    """

    def __init__(self, *args: object, on_enter: Callable[[FormInput], None] | None = None, **kwargs: object) -> None:
        kwargs.setdefault("select_on_focus", False)  # a late Focus event must not select what was typed since
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.on_enter = on_enter

    def on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self:
            event.stop()
            event.prevent_default()
            if isinstance(focused, Input):
                focused.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("tab", "shift+tab"):
            event.stop()
            event.prevent_default()
            self.screen.focus_next() if event.key == "tab" else self.screen.focus_previous()
            target = self.screen.focused
            if isinstance(target, Input):
                target.select_all()
        elif event.key == "enter" and self.on_enter is not None:
            event.stop()
            event.prevent_default()
            self.on_enter(self)


class ParameterRow(Vertical):
    """Label, editor and notes of one parameter."""

    DEFAULT_CSS = """
    ParameterRow { height: auto; padding: 0 1; }
    ParameterRow Horizontal { height: auto; }
    ParameterRow .key { width: 28; padding-top: 1; }
    ParameterRow Input, ParameterRow Select { width: 1fr; }
    ParameterRow Button { min-width: 18; }
    ParameterRow Input:disabled { opacity: 60%; }
    ParameterRow .notes { color: $text-muted; padding-left: 28; }
    ParameterRow .warning { color: $warning; padding-left: 28; }
    ParameterRow.-changed .key { color: $warning; text-style: bold; }
    ParameterRow.-changed { background: $warning 10%; }
    """

    def __init__(self, field: ParamField, on_enter: Callable[[FormInput], None] | None = None) -> None:
        super().__init__(id=f"param-{field.key}")
        self.field = field
        self.on_enter = on_enter

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
                placeholder = "(unchanged, hidden)" if f.no_echo else "(empty: not set)"
                locked = f.no_echo and f.prefill is None
                yield FormInput(
                    start,
                    placeholder=placeholder,
                    password=f.no_echo,
                    id=f"value-{f.key}",
                    disabled=locked,
                    on_enter=self.on_enter,
                )
                if locked:
                    yield Button("Set new value", id=f"unlock-{f.key}")
        if f.description:
            yield Static(Text(safe_text(f.description)), classes="notes")
        if f.warning:
            yield Static(Text("⚠ " + safe_text(f.warning)), classes="warning")

    def on_mount(self) -> None:
        self.set_class(self.value() is not None, "-changed")

    @property
    def editor(self) -> Input | Select[str]:
        return self.query_one(f"#value-{self.field.key}")  # type: ignore[return-value]

    def target(self) -> Input | Select[str] | Button:
        """What a jump to this parameter focuses: its editor, or the unlock button of a locked secret."""
        unlock = self.query(f"#unlock-{self.field.key}").results(Button)
        for button in unlock:
            return button
        return self.editor

    @on(Button.Pressed)
    def _unlock(self, event: Button.Pressed) -> None:
        if event.button.id != f"unlock-{self.field.key}":
            return
        event.stop()
        editor = self.editor
        editor.disabled = False
        self.screen.set_focus(editor)
        event.button.remove()

    def value(self) -> str | None:
        """The new value, or None when it stays as it is."""
        editor = self.query_one(f"#value-{self.field.key}")
        raw = str(editor.value) if isinstance(editor, (Input, Select)) else ""
        if self.field.no_echo:
            return raw or None
        return None if raw == self.field.current else raw


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


class ParameterForm(VerticalScroll):
    """Every parameter of the template, editable."""

    DEFAULT_CSS = """
    ParameterForm { height: 1fr; }
    """
    can_focus = False  # Tab goes to the fields, never to the scrolling box around them

    class Changed(Message):
        """The set of changed parameters is different now."""

        def __init__(self, changed: tuple[str, ...]) -> None:
            super().__init__()
            self.changed = changed

    def __init__(
        self, fields: Sequence[ParamField] = (), on_enter: Callable[[FormInput], None] | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.fields = tuple(fields)
        self.on_enter = on_enter  # Enter in a value: the screen applies the form

    def compose(self) -> ComposeResult:
        for f in self.fields:
            yield ParameterRow(f, self.on_enter)

    def show_matching(self, text: str) -> ParameterRow | None:
        """Show only the rows whose name contains ``text`` (case, spaces and _ ignored); the first one."""
        wanted = _squash(text)
        first: ParameterRow | None = None
        for row in self.query(ParameterRow):
            shown = wanted in _squash(row.field.key)
            row.display = shown
            if shown and first is None:
                first = row
        return first

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
