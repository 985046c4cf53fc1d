"""The change-set screen's keys: typed-ahead keys while the form loads, and the form's Enter.

A mixin of :class:`tui.screens.changeset.ChangeSetScreen` (kept apart so that the screen's module
holds the six steps): keys typed while the parameters load wait in ``typeahead`` and go to the
find box in order once it has the focus; Enter in the find box edits the best match, Enter in a
value applies. ``k``, ``esc`` and ``q`` (leaving) are in :mod:`tui.screens.changeset_leaving`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.widgets import Input

from widgets.changes_form import FormInput, ParameterForm


class ChangeSetKeys:
    """Key handling of the change-set screen (see the module's docstring)."""

    typeahead: list[events.Key] | None
    step: int

    if TYPE_CHECKING:  # provided by the screen this is mixed into
        query: Any
        query_one: Any
        set_focus: Any

        def set_status(self, text: str, kind: str = "") -> None: ...
        def to_params(self) -> None: ...
        def to_review(self) -> None: ...

    # --- keys of the parameter form ----------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """While the parameters load, keep what is typed (esc still leaves)."""
        if self.typeahead is not None and event.key != "escape":
            event.stop()
            event.prevent_default()
            self.typeahead.append(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_step":
            return self.step == 1 and self.typeahead is None
        return True

    def action_next_step(self) -> None:
        self.to_params()

    def form_enter(self, field: FormInput) -> None:
        """Enter in the find box edits the best match; Enter in a value creates the change set."""
        if field.id == "param-find":
            row = self.query_one("#form", ParameterForm).show_matching(field.value)
            if row is None:
                self.set_status(f"No parameter name contains {field.value!r}.", "error")
                return
            self.set_status("")
            target = row.target()
            self.set_focus(target)
            if isinstance(target, Input):
                target.select_all()  # what is typed next replaces the value
            row.scroll_visible(animate=False)
        else:
            self.to_review()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "param-find":
            return
        for form in self.query("#form").results(ParameterForm):
            form.show_matching(event.value)
