"""Tabs whose content took the focus follow it only while the focus is still there."""

from __future__ import annotations

from textual.widgets import TabbedContent, TabPane


class KeyedTabbedContent(TabbedContent):
    """A ``TabbedContent`` that a stale focus notice cannot switch back.

    Focusing a widget in a tab pane posts ``TabPane.Focused``, and Textual's ``TabbedContent``
    opens that pane when the notice arrives. With keys typed in one burst (``2 v 1 E``), the
    notice from ``v`` (the Uplinks devices view) can arrive after ``1`` and ``E`` moved the focus
    to the Journal, and would reopen Uplinks. The pane opens only if it still holds the focus.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors:
            event.stop()
            event.prevent_default()  # TabbedContent's own handler would open the pane anyway
