"""Long texts (descriptions, assumptions, rationales) as Markdown, rendered safely.

markdown-it-py renders CommonMark with raw HTML switched off (it is shown as text) and
refuses javascript:, vbscript: and data: links; nh3 (the Ammonia sanitiser) then keeps only
an allow-list of tags, attributes and URL schemes, so even a renderer bug cannot put
script, an iframe, an event handler or a javascript: link on a page.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    # '&lt;' stays the four characters typed: people write text, not HTML entities
    md.disable("entity")
    # headings inside a text sit below the page's own h1/h2: start them at h3
    md.renderer.rules["heading_open"] = _heading(open_=True)  # type: ignore[attr-defined]
    md.renderer.rules["heading_close"] = _heading(open_=False)  # type: ignore[attr-defined]
    return md


def _heading(open_: bool):  # type: ignore[no-untyped-def]
    def render(tokens, idx, options, env):  # type: ignore[no-untyped-def]
        level = min(6, int(tokens[idx].tag[1]) + 2)
        return f"<h{level}>" if open_ else f"</h{level}>\n"

    return render


def render_markdown(text: str | None) -> Markup:
    """Markdown as HTML that cannot run script or embed anything."""
    if not text:
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # sanitised just above
