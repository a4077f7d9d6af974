"""Accessibility checks for the browser tests: axe-core in the page, and small screens.

Any browser test can call them on the page it has open::

    from accessibility import assert_accessible, assert_fits_narrow

    assert_accessible(page)           # no serious or critical axe-core violation
    assert_fits_narrow(page)          # at 390 px: no sideways scrolling, "Sign out" in view

axe-core comes from the npm registry (js/package.json); ``make`` installs it in
js/node_modules, from where it is put into the page (it is never served by natrisk).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "js" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
NARROW = {"width": 390, "height": 844}  # a phone held upright
_RUN = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map(n => n.target.join(" ") + " — " + (n.failureSummary || "")
      .replace(/\\s+/g, " ").slice(0, 240)),
    count: v.nodes.length,
  }));
}"""


_UNDRAWN = (
    "() => [...document.querySelectorAll('script.vl-spec')].map(s => s.dataset.target)"
    ".filter(id => { const t = document.getElementById(id);"
    " return t && t.dataset.ready !== 'true' && !t.textContent.includes('could not'); })"
)


def wait_for_charts(page: Page, timeout: float = 30_000) -> None:
    """Wait until every Vega-Lite chart of the page is drawn (axe checks what is drawn)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => ({_UNDRAWN})().length === 0", timeout=timeout)
    except PlaywrightTimeout:
        left = page.evaluate(_UNDRAWN)
        raise AssertionError(
            f"{page.url}: charts not drawn after {timeout / 1000:.0f} s: {left}"
        ) from None


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the page as it is now."""
    if not AXE.exists():
        raise AssertionError(f"axe-core is not installed ({AXE}); run `make assets`")
    wait_for_charts(page)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated over the DevTools protocol: the page's CSP (no inline script) stays on
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(_RUN, list(impacts))
    return found


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as readable lines."""
    lines = []
    for v in violations:
        lines.append(f"  {v['impact']} {v['id']} ({v['count']}×): {v['help']}")
        lines += [f"      {n}" for n in v["nodes"]]
    return "\n".join(lines)


def assert_accessible(page: Page, where: str = "") -> None:
    """Fail when axe-core finds a serious or critical violation on the page."""
    found = axe_violations(page)
    assert not found, f"axe-core on {where or page.url}:\n{describe(found)}"


def narrow_problems(page: Page) -> list[str]:
    """Why the page does not fit a narrow screen: sideways scrolling, "Sign out" out of view."""
    problems = []
    width = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    if width["page"] > width["view"]:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && !e.closest('.scroll, .vl, pre'))
              .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""
        )
        problems.append(f"{width['page']} px wide in a {width['view']} px window ({wide})")
    out = page.locator("header form[action='/logout'] button")
    if out.count():
        box = out.bounding_box()
        if box is None or not out.is_visible() or box["x"] + box["width"] > width["view"] + 1:
            problems.append(f"'Sign out' is not in view ({box})")
    return problems


def assert_fits_narrow(page: Page, where: str = "") -> None:
    """Fail unless the page fits the window it is in (use a 390 px wide context: NARROW)."""
    found = narrow_problems(page)
    assert not found, f"{where or page.url} at {NARROW['width']} px: " + "; ".join(found)
