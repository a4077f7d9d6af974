"""Reading YAML documents fast: libyaml gives the verdict, rapidyaml builds the data.

PyYAML builds a Python node, with two position marks, for every value before any data
exists; at 5,000 scenarios that alone takes seconds. Here libyaml (PyYAML's C parser) first
reads the whole text in C without building anything, so a text is accepted or refused by
exactly the parser PyYAML uses. rapidyaml (C++) then parses it into one flat tree, from which
the data is built in a single walk; plain scalars are typed by the caller's PyYAML resolver
and safe constructors, so ``yes``, ``1_000``, ``1:30`` and ``2026-01-01`` mean what they mean
to PyYAML. Line numbers are not made for every value: ``TreePlaces`` keeps the tree and finds
the line of a value when a problem asks for it.

A document that uses what only the full PyYAML path handles (anchors and aliases, tags, merge
keys, several documents, NEL/LS/PS or lone CR line breaks), or that either parser refuses,
gives ``None``, and the caller reads it the PyYAML way with its messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import yaml

try:  # rapidyaml is a dependency; without it every document takes the PyYAML path
    import ryml
    from ryml import _ryml
except ImportError:  # pragma: no cover - an install without the wheel
    ryml = None

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# line breaks of YAML 1.1 that rapidyaml (YAML 1.2) reads as ordinary characters
_OTHER_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")

if ryml is not None:
    _NONE = ryml.NONE
    _MAP, _SEQ, _KEY, _VAL = ryml.MAP, ryml.SEQ, ryml.KEY, ryml.VAL
    _STREAM, _DOC = ryml.STREAM, ryml.DOC
    # anchors, aliases and tags: the full path resolves them
    _EXOTIC = ryml.KEYANCH | ryml.VALANCH | ryml.KEYREF | ryml.VALREF | ryml.KEYTAG | ryml.VALTAG
    _KEY_QUOTED = ryml.KEYQUO
    _VAL_QUOTED = ryml.VALQUO
    _VAL_BLOCK = ryml.VAL_LITERAL | ryml.VAL_FOLDED
    _FLOW = ryml.FLOW_SL | ryml.FLOW_ML


class _Unsupported(Exception):
    """The document needs the full PyYAML path."""


def read_tree(
    text: str, loader: Any, full_places: Callable[[], dict[tuple[Any, ...], str]]
) -> tuple[Any, dict[tuple[Any, ...], str]] | None:
    """The document's data and its places, or ``None`` when the PyYAML path must read it.

    ``loader`` is a PyYAML loader (on any text) whose resolvers and constructors type the
    plain scalars; it is used for nothing else. ``full_places`` gives the places the PyYAML
    way; it is called only for a line the tree cannot give (an empty ``{}`` in a list).
    """
    if ryml is None or _OTHER_BREAKS.search(text):
        return None
    try:
        from yaml._yaml import CParser  # only when PyYAML was built with libyaml

        CParser(text).raw_parse()  # libyaml's verdict on the syntax, building nothing
    except (ImportError, yaml.YAMLError):
        return None
    source = text.encode("utf-8")
    buf = bytearray(source)  # rapidyaml parses in place: its strings point into buf
    try:
        tree = ryml.parse_in_place(buf)
        root = _document(tree)
        if root is None:
            return None, TreePlaces(tree, buf, source, None, full_places)
        data = _Builder(tree, loader).build(root)
    except (_Unsupported, ryml.ExceptionBasic, RecursionError):
        return None
    return data, TreePlaces(tree, buf, source, root, full_places)


def _document(tree: Any) -> int | None:
    """The node of the one document, ``None`` for an empty text; several are unsupported."""
    if tree.size() == 0:
        return None
    root = tree.root_id()
    kind = _ryml.Tree_type(tree, root)
    if kind & _STREAM != _STREAM:
        return None if not kind & (_MAP | _SEQ | _VAL) else root
    docs = list(ryml.children(tree, root))
    if len(docs) > 1:
        raise _Unsupported
    if not docs:
        return None
    doc = docs[0]
    doc_kind = _ryml.Tree_type(tree, doc)
    if doc_kind & _EXOTIC:
        raise _Unsupported
    return doc if doc_kind & (_MAP | _SEQ | _VAL) else None


class _Builder:
    """One walk over the tree into plain data (dicts, lists, typed scalars)."""

    def __init__(self, tree: Any, loader: Any) -> None:
        self.tree = tree
        self.loader = loader
        self.plain: dict[str, Any] = {}  # plain scalar text -> its value (immutable ones)

    def typed(self, text: str) -> Any:
        """A plain scalar as PyYAML's resolver and safe constructor make it."""
        try:
            return self.plain[text]
        except KeyError:
            pass
        tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        if tag == _STR:
            value: Any = text
        elif tag == _MERGE:
            raise _Unsupported
        else:
            constructor = self.loader.yaml_constructors.get(tag)
            if constructor is None:
                raise _Unsupported
            value = constructor(self.loader, yaml.ScalarNode(tag, text))
        if len(self.plain) < 200_000:
            self.plain[text] = value
        return value

    def build(self, node: int) -> Any:
        tree, typed = self.tree, self.typed
        kind_of, first, after = _ryml.Tree_type, _ryml.Tree_first_child, _ryml.Tree_next_sibling
        key_of, val_of = _ryml.Tree_key, _ryml.Tree_val

        def value(i: int, kind: int) -> Any:
            if kind & _EXOTIC:
                raise _Unsupported
            if kind & _MAP:
                out: dict[Any, Any] = {}
                c = first(tree, i)
                while c != _NONE:
                    ck = kind_of(tree, c)
                    raw = key_of(tree, c)
                    text = "" if raw is None else str(raw, "utf-8")
                    out[text if ck & _KEY_QUOTED else typed(text)] = value(c, ck)
                    c = after(tree, c)
                return out
            if kind & _SEQ:
                items = []
                c = first(tree, i)
                while c != _NONE:
                    items.append(value(c, kind_of(tree, c)))
                    c = after(tree, c)
                return items
            raw = val_of(tree, i)
            text = "" if raw is None else str(raw, "utf-8")
            return text if kind & _VAL_QUOTED else typed(text)

        return value(node, kind_of(tree, node))


class TreePlaces(dict[tuple[Any, ...], str]):
    """Where each part of a document came from (``line N``), found in the tree when asked.

    A path is a tuple of mapping keys as written and sequence positions, as the readers'
    locators use them. Only the lines asked for are computed (and then remembered), and a
    collection's children are indexed once, the first time a path goes through it.
    """

    def __init__(
        self,
        tree: Any,
        buf: bytearray,
        source: bytes,
        root: int | None,
        full_places: Callable[[], dict[tuple[Any, ...], str]],
    ) -> None:
        super().__init__()
        self._full_places = full_places
        self._full: dict[tuple[Any, ...], str] | None = None
        self._tree = tree
        self._buf = buf  # the parsed buffer the tree points into (kept alive with it)
        self._source = source  # the text as read: rapidyaml rewrote scalars inside buf
        self._root = root
        self._base = np.frombuffer(buf, np.uint8).ctypes.data if buf else 0
        self._children: dict[int, dict[Any, int] | list[int]] = {}
        self._breaks: Any = None

    def _find(self, path: tuple[Any, ...]) -> str | None:
        if dict.__contains__(self, path):
            return str(dict.__getitem__(self, path))
        node = self._node(path)
        if node is None:
            return None
        line = self._line(node)
        if line is None:  # rare (``- {}``, ``- ``): ask PyYAML's nodes, read once if needed
            if self._full is None:
                self._full = self._full_places()
            found = self._full.get(path, "")
        else:
            found = f"line {line}"
        dict.__setitem__(self, path, found)
        return found

    def _index(self, node: int, kind: int) -> dict[Any, int] | list[int]:
        known = self._children.get(node)
        if known is not None:
            return known
        tree = self._tree
        ids = []
        c = _ryml.Tree_first_child(tree, node)
        while c != _NONE:
            ids.append(c)
            c = _ryml.Tree_next_sibling(tree, c)
        index: dict[Any, int] | list[int] = ids
        if kind & _MAP:  # a repeated key: the last one is the value, as in PyYAML
            index = {}
            for c in ids:
                raw = _ryml.Tree_key(tree, c)
                index["" if raw is None else str(raw, "utf-8")] = c
        self._children[node] = index
        return index

    def _node(self, path: tuple[Any, ...]) -> int | None:
        node = self._root
        for part in path:
            if node is None:
                return None
            kind = _ryml.Tree_type(self._tree, node)
            if not kind & (_MAP | _SEQ):
                return None
            index = self._index(node, kind)
            if isinstance(index, dict):
                node = index.get(str(part))
            elif isinstance(part, int) and 0 <= part < len(index):
                node = index[part]
            else:
                return None
        return node

    def _offset(self, view: Any) -> int | None:
        if view is None or len(view) == 0:
            return None
        at = int(np.frombuffer(view, np.uint8).ctypes.data) - self._base
        return at if 0 <= at < len(self._buf) else None

    def _start(self, node: int) -> int | None:
        """Where the node's value begins, as libyaml marks it (block scalars: the indicator;
        collections: their first entry); ``None`` for an empty value or collection, or an
        empty key, of which the tree keeps no position."""
        tree = self._tree
        kind = _ryml.Tree_type(tree, node)
        at = None
        if kind & (_MAP | _SEQ):
            c = _ryml.Tree_first_child(tree, node)
            if c == _NONE:
                return None
            # an empty key (``? ''``) has no position: the node way places the mapping
            at = self._offset(_ryml.Tree_key(tree, c)) if kind & _MAP else self._start(c)
            if at is not None and kind & _FLOW:  # a flow collection starts at its bracket
                source = self._source
                at = max(source.rfind(b"[", 0, at), source.rfind(b"{", 0, at), 0)
            return at
        elif kind & _VAL:
            at = self._offset(_ryml.Tree_val(tree, node))
            if at is not None and kind & _VAL_BLOCK:
                source = self._source
                indicator = max(source.rfind(b"|", 0, at), source.rfind(b">", 0, at))
                at = indicator if indicator >= 0 else at
        return at

    def _line(self, node: int) -> int | None:
        at = self._start(node)
        if at is None:
            return None
        if self._breaks is None:  # where each line ends, found once
            self._breaks = np.flatnonzero(np.frombuffer(self._source, np.uint8) == 10)
        return int(np.searchsorted(self._breaks, at)) + 1

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._find(path) is not None

    def __getitem__(self, path: tuple[Any, ...]) -> str:
        found = self._find(path)
        if found is None:
            raise KeyError(path)
        return found

    def get(self, path: tuple[Any, ...], default: Any = None) -> Any:  # type: ignore[override]
        found = self._find(path)
        return default if found is None else found
