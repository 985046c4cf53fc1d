"""One uplink as a tree: the full JSON document, every gateway's metadata, and what was wrong with it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from services.core.safe_text import safe_text

MAX_VALUE = 300
MAX_CHILDREN = 200


class UplinkDetail(Tree[Any]):
    """``show(title, document, problems, raw)``: JSON objects and lists become branches."""

    DEFAULT_CSS = """
    UplinkDetail { height: 1fr; background: $surface; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("uplink", **kwargs)
        self.show_root = True
        self.guide_depth = 3

    def show(self, title: str, document: Any, problems: Sequence[str] = (), raw: str = "") -> None:
        self.clear()
        self.root.set_label(Text(safe_text(title)))
        if problems:
            branch = self.root.add(Text(f"problems ({len(problems)})", style="bold red"), expand=True)
            for problem in problems:
                branch.add_leaf(Text(safe_text(problem)))
        if isinstance(document, (dict, list)):
            self._add(self.root, "", document, depth=0)
        elif raw:
            self.root.add_leaf(Text("raw: " + safe_text(raw[:2000]) + ("…" if len(raw) > 2000 else "")))
        self.root.expand()

    def _add(self, node: TreeNode[Any], key: str, value: Any, depth: int) -> None:
        if isinstance(value, dict):
            target = (
                node.add(Text(safe_text(f"{key} {{{len(value)}}}" if key else "{}")), expand=depth < 3) if key else node
            )
            for i, (k, v) in enumerate(value.items()):
                if i >= MAX_CHILDREN:
                    target.add_leaf(Text(f"… {len(value) - MAX_CHILDREN} more"))
                    break
                self._add(target, str(k), v, depth + 1)
        elif isinstance(value, list):
            target = node.add(Text(safe_text(f"{key} [{len(value)}]")), expand=depth < 3) if key else node
            for i, v in enumerate(value[:MAX_CHILDREN]):
                self._add(target, f"[{i}]", v, depth + 1)
            if len(value) > MAX_CHILDREN:
                target.add_leaf(Text(f"… {len(value) - MAX_CHILDREN} more"))
        else:
            shown = json.dumps(value, ensure_ascii=False)
            if len(shown) > MAX_VALUE:
                shown = shown[:MAX_VALUE] + f"… ({len(shown):,} chars)"
            label = Text(safe_text(key), style="bold")
            label.append(" = ")
            label.append(safe_text(shown))
            node.add_leaf(label)
