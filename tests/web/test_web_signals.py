"""Horizon scanning in Chromium, from the bundled example, on a real natrisk server.

A ministry's contributor submits a signal; an analyst assesses it, sees it with its
near-duplicates, confirms them as one candidate threat and escalates it; the signal is in the
Atom feed and the CAP export (by a feed token made on the page, no browser session); the
coordinator adopts the autumn scan and downloads the threat picture, which shows what changed
since spring and flags the touched scenarios. And a reader without clearance never sees the
classified signals on the pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, Page, expect
from web_support import Browsers, Server, Site, password, sign_in

from natrisk.io.files import read_bytes
from natrisk.io.signals import load_signals, parse_located
from natrisk.io.workbook import load_workbook
from natrisk.services import accounts, workspace
from natrisk.services.access import Actor
from natrisk.services.signal_files import import_file
from natrisk.store.database import Database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
SIGNALS = ROOT / "examples" / "signals-2026.yaml"
PEOPLE = {
    "s-admin": ("example", "Staatsgeheim Geheim", None),
    "s-coord": ("example", "Departementaal Vertrouwelijk", "coordinator"),
    "s-analyst": ("example", "Departementaal Vertrouwelijk", "analyst"),
    "s-ministry": ("min-bzk", "Openbaar", "contributor"),
}
TITLE = "Drones seen above the LNG terminal in Rotterdam"


@pytest.fixture(scope="module")
def signal_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, int]]:
    home = tmp_path_factory.mktemp("web-signals")
    url = f"sqlite:///{home / 'natrisk.db'}"
    saved = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    try:
        with db.session() as s:
            users = {
                n: accounts.add_user(s, n, password(n), org, lvl, n == "s-admin")
                for n, (org, lvl, _) in PEOPLE.items()
            }
            admin = Actor.of(users["s-admin"])
            edition = workspace.import_workbook(s, EXAMPLE, load_workbook(EXAMPLE), admin).id
            for n, (_, _, role) in PEOPLE.items():
                if role:
                    accounts.set_role(s, admin, edition, n, role)
            doc, locate = parse_located(read_bytes(SIGNALS), str(SIGNALS))
            import_file(s, admin, edition, doc, locate)
    finally:
        db.close()
        accounts.HASHER = saved
    server = Server(url, home)
    try:
        yield Site(server.base, None, server), edition  # type: ignore[arg-type]
    finally:
        server.close()


@pytest.fixture
def browsers(browser: Browser, signal_site: tuple[Site, int]) -> Iterator[Browsers]:
    b = Browsers(browser, signal_site[0])
    yield b
    b.close()


def as_(b: Browsers, user: str, target: str) -> Page:
    page = b.context().new_page()
    sign_in(page, user, target)
    return page


def test_from_a_ministry_signal_to_the_adopted_threat_picture(
    browsers: Browsers, signal_site: tuple[Site, int], tmp_path: Path
) -> None:
    site, ed = signal_site
    inbox = f"/editions/{ed}/signals"
    ministry = as_(browsers, "s-ministry", inbox)
    form = ministry.get_by_test_id("submit-form")
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Description").fill(
        "Several drones were seen above the LNG terminal at night; the port police investigate."
    )
    form.get_by_label("Observed on").fill("2026-11-27")
    form.get_by_label("Threats to critical infrastructure").check()
    form.get_by_label("Scenarios it bears on").select_option("gas-supply-shortage")
    form.get_by_label("Horizon").select_option("short")
    form.get_by_test_id("submit-signal").click()
    expect(ministry.get_by_test_id("signal-title")).to_have_text(TITLE)
    expect(ministry.get_by_test_id("status")).to_contain_text("new")
    slug = ministry.url.split("/signals/")[1].split("?")[0]
    expect(ministry.get_by_test_id("assess-form")).to_have_count(0)  # contributors only submit

    # a near-duplicate from another organisation, so the analyst sees them side by side
    ministry.goto(inbox)
    form = ministry.get_by_test_id("submit-form")
    form.get_by_label("Title").fill(TITLE + " (second report)")
    form.get_by_label("Description").fill(
        "Several drones were seen above the LNG terminal at night; the port police investigate it."
    )
    form.get_by_label("Observed on").fill("2026-11-28")
    form.get_by_label("Threats to critical infrastructure").check()
    form.get_by_test_id("submit-signal").click()
    expect(ministry.get_by_test_id("signal-title")).to_have_text(TITLE + " (second report)")

    analyst = as_(browsers, "s-analyst", inbox)
    analyst.get_by_test_id("filters").get_by_role("searchbox").fill("LNG terminal")
    analyst.get_by_role("button", name="Filter").click()
    expect(analyst.get_by_test_id("total")).to_contain_text("2 signals")
    analyst.get_by_role("link", name=TITLE, exact=True).click()
    expect(analyst.get_by_test_id("duplicates")).to_contain_text("(second report)")
    analyst.get_by_test_id("assess-form").get_by_label("Strength").select_option("strong")
    analyst.get_by_test_id("assess-form").get_by_label("Direction").select_option("rising")
    analyst.get_by_test_id("assess").click()
    expect(analyst.get_by_test_id("status")).to_contain_text("assessed")
    expect(analyst.get_by_test_id("strength")).to_contain_text("strong")
    analyst.get_by_test_id("cluster-duplicates").click()
    expect(analyst).to_have_url(re.compile(r"/clusters"))
    expect(analyst.locator("section.cluster").first).to_contain_text("(second report)")
    analyst.goto(f"/editions/{ed}/signals/{slug}")
    expect(analyst.get_by_test_id("cluster")).not_to_have_text("–")
    analyst.get_by_test_id("step-to").select_option("escalated")
    analyst.get_by_test_id("step").click()
    expect(analyst.get_by_test_id("status")).to_contain_text("escalated")
    expect(analyst.get_by_test_id("history")).to_contain_text("escalated")

    analyst.goto(inbox)
    analyst.get_by_test_id("make-token").click()
    token = analyst.get_by_test_id("feed-token").locator("code").inner_text()
    atom = httpx.get(
        f"{site.base}/api/feeds/{ed}/themes/critical-infrastructure.atom?token={token}"
    )
    assert atom.status_code == 200 and TITLE in atom.text
    cap = httpx.get(f"{site.base}/api/feeds/{ed}/escalated.cap?token={token}")
    assert cap.status_code == 200 and f"<cap:event>{TITLE}</cap:event>" in cap.text

    coord = as_(browsers, "s-coord", f"/editions/{ed}/scans")
    coord.get_by_role("link", name="Horizon scan autumn 2026 (illustrative)").click()
    expect(coord.get_by_test_id("radar").locator("svg, canvas").first).to_be_visible()
    expect(coord.get_by_test_id("change-new")).to_contain_text(TITLE)
    expect(coord.get_by_test_id("flags")).to_contain_text("bear")
    coord.once("dialog", lambda d: d.accept())
    coord.get_by_test_id("adopt").click()
    expect(coord.get_by_test_id("scan-status")).to_contain_text("adopted")
    with coord.expect_download(timeout=120_000) as got:  # WeasyPrint takes a few seconds
        coord.get_by_test_id("report-pdf-nl").click()
    path = tmp_path / "threat.pdf"
    got.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    coord.goto(f"/editions/{ed}/scans/autumn-2026?lang=nl")
    expect(
        coord.get_by_role("heading", name="Wat is veranderd sinds de vorige scan")
    ).to_be_visible()
    expect(coord.get_by_test_id("flag-gas-supply-shortage")).to_contain_text("sterk")


def test_the_inbox_pages_filters_and_hides_what_is_above_the_clearance(
    browsers: Browsers, signal_site: tuple[Site, int]
) -> None:
    _, ed = signal_site
    hidden = [s for s in load_signals(SIGNALS).signals if s.classification]
    ministry = as_(browsers, "s-ministry", f"/editions/{ed}/signals")
    total = int(ministry.get_by_test_id("total").inner_text().split()[0])
    analyst = as_(browsers, "s-analyst", f"/editions/{ed}/signals")
    assert int(analyst.get_by_test_id("total").inner_text().split()[0]) == total + len(hidden)
    ministry.get_by_test_id("next-page").click()
    expect(ministry.get_by_test_id("pages")).to_contain_text("Page 2")
    ministry.get_by_test_id("filters").locator("select[name=theme]").select_option("cyber")
    ministry.get_by_role("button", name="Filter").click()
    rows = ministry.get_by_test_id("signals").locator("tbody tr")
    expect(rows.first).to_be_visible()
    pages: list[Any] = [
        f"/editions/{ed}/signals?page=1",
        f"/editions/{ed}/signals?page=2",
        f"/editions/{ed}/clusters",
        f"/editions/{ed}/scans/autumn-2026",
        f"/editions/{ed}/scans/spring-2026",
    ]
    for url in pages:
        ministry.goto(url)
        html = ministry.content()
        for s in hidden:
            assert s.id not in html, (url, s.id)
    response = ministry.goto(f"/editions/{ed}/signals/{hidden[0].id}")
    assert response is not None and response.status == 404
