"""Helpers of the browser tests: the world, a real server in a subprocess, and page helpers.

The world is built through the services before the server starts (``natrisk serve`` only
bootstraps an administrator on an empty database, so a populated one is served as it is):

* ``main``: the bundled example edition (38 scenarios) with a role for every user;
* ``planted``: a small edition, public as a whole, with a scenario classified Staatsgeheim
  Geheim and a score rationale classified Departementaal Vertrouwelijk, each full of unique
  marker strings, plus a classified comment and classified audit reasons;
* ``adopt``: a small draft edition that a test moves to adopted (and the other side of the
  diff of ``planted``).

A reader with clearance Openbaar must never see any marker on any page.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from natrisk.io.workbook import dump_workbook, load_workbook, parse_workbook
from natrisk.services import accounts, review, workspace
from natrisk.services.access import Actor
from natrisk.services.editing import set_score
from natrisk.store.database import Database
from natrisk.store.models import User

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nl-2026.yaml"
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET_KEY = "natrisk-web-tests-signing-key-0123456789abcdef"
VIEWPORT = {"width": 1440, "height": 900}  # a laptop screen

SG = "Staatsgeheim Geheim"
DV = "Departementaal Vertrouwelijk"

# ---------------------------------------------------------------------------- markers

SECRET_SLUG = "op-MARKER-SLUG-w3b1"  # the secret scenario's slug (itself classified)
M_TITLE = "MARKER-WEB-SECRET-TITLE-w3b1"
M_THEME = "MARKER-WEB-SECRET-THEME-w3b1"
M_DESC = "MARKER-WEB-SECRET-DESCRIPTION-w3b1"
M_ASSUMPTIONS = "MARKER-WEB-SECRET-ASSUMPTIONS-w3b1"
M_LIKELIHOOD = "MARKER-WEB-SECRET-LIKELIHOOD-w3b1"
M_RATIONALE = "MARKER-WEB-SECRET-RATIONALE-w3b1"
M_SOURCE = "MARKER-WEB-SECRET-SOURCE-w3b1"
M_AUDIT = "MARKER-WEB-SECRET-AUDIT-REASON-w3b1"
M_EDITED = "MARKER-WEB-SECRET-EDITED-w3b1"
M_COMMENT = "MARKER-WEB-COMMENT-GEHEIM-w3b1"
M_DV_RATIONALE = "MARKER-WEB-DV-RATIONALE-w3b1"
M_DV_SOURCE = "MARKER-WEB-DV-SOURCE-w3b1"
M_DV_EDITED = "MARKER-WEB-DV-EDITED-w3b1"
M_DV_AUDIT = "MARKER-WEB-DV-AUDIT-REASON-w3b1"
MARKERS = (
    SECRET_SLUG,
    M_TITLE,
    M_THEME,
    M_DESC,
    M_ASSUMPTIONS,
    M_LIKELIHOOD,
    M_RATIONALE,
    M_SOURCE,
    M_AUDIT,
    M_EDITED,
    M_COMMENT,
    M_DV_RATIONALE,
    M_DV_SOURCE,
    M_DV_EDITED,
    M_DV_AUDIT,
)

# ---------------------------------------------------------------------------- users

PASSWORD_SUFFIX = "-web-correct-horse"
USERS = {  # name: (clearance, is_admin, role on every edition)
    "admin": (SG, True, None),
    "coordinator": (DV, False, "coordinator"),
    "analyst1": (DV, False, "analyst"),
    "analyst2": (DV, False, "analyst"),
    "expert1": (DV, False, "expert"),
    "expert2": (DV, False, "expert"),
    "reader": ("Openbaar", False, "reader"),
}


def password(name: str) -> str:
    return name + PASSWORD_SUFFIX


# ---------------------------------------------------------------------------- workbooks


def small_raw(slug: str, title: str, bump: int = 0) -> dict[str, Any]:
    """A small public workbook on nl-2019; ``bump`` moves the scores (for a visible diff)."""
    cls = "ABCDE"

    def k(i: int) -> str:
        return cls[min(4, i + bump)]

    return {
        "format": "natrisk/1",
        "edition": {"id": slug, "title": title, "framework": "nl-2019"},
        "scenarios": [
            {
                "id": "dike-breach",
                "title": "Dike breach in a polder",
                "theme": "climate-and-natural-disasters",
                "malicious": False,
                "likelihood": "B",
                "impacts": {"2.1": {"quantity": {"min": 50, "max": 300}}, "3.2": k(2), "5.3": "C"},
            },
            {
                "id": "grid-failure",
                "title": "Failure of the national grid",
                "theme": "cyber",
                "malicious": False,
                "likelihood": "C",
                "impacts": {"2.2": 200, "5.1": k(1), "5.3": k(1)},
            },
            {
                "id": "port-fire",
                "title": "Fire in a chemical port",
                "theme": "major-accidents",
                "malicious": False,
                "likelihood": "D",
                "impacts": {"2.1": 30, "4.1": k(2), "5.3": "B"},
            },
        ],
    }


def planted_raw() -> dict[str, Any]:
    """The small workbook with a secret scenario and a DV-classified rationale planted in it."""
    raw = small_raw("planted-2026", "Planted picture 2026", bump=1)
    dike = raw["scenarios"][0]
    dike["impacts"]["2.1"] = {
        "quantity": {"min": 50, "max": 300},
        "rationale": f"Casualty estimate from {M_DV_RATIONALE}",
        "sources": [M_DV_SOURCE],
        "classification": DV,
    }
    raw["scenarios"].append(
        {
            "id": SECRET_SLUG,
            "title": f"Operation {M_TITLE}",
            "theme": M_THEME,
            "malicious": True,
            "description": f"What happens: {M_DESC}",
            "assumptions": f"Assuming {M_ASSUMPTIONS}",
            "classification": SG,
            "likelihood": {"class": "E", "rationale": M_LIKELIHOOD, "sources": [M_SOURCE]},
            "impacts": {
                "1.1": "E",
                "2.1": {
                    "quantity": {"min": 10000, "max": 90000},
                    "rationale": f"Because {M_RATIONALE}",
                    "sources": [M_SOURCE],
                    "classification": SG,
                },
                "2.2": "E",
                "3.1": "E",
                "5.3": "E",
            },
        }
    )
    return raw


def example_raw() -> dict[str, Any]:
    return copy.deepcopy(dump_workbook(load_workbook(EXAMPLE)))


def bad_workbook_yaml() -> str:
    """A workbook with several problems, each on its own row."""
    return """format: natrisk/1
edition:
  id: broken-upload
  title: Broken upload
  framework: nl-2019
scenarios:
  - id: first-bad
    title: First bad scenario
    theme: cyber
    malicious: false
    likelihood: Q
    impacts:
      "2.1": -5
  - id: second-bad
    title: Second bad scenario
    theme: cyber
    malicious: false
    likelihood: B
    impacts:
      "9.9": C
      "5.3": Z
"""


# ---------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """What the tests need to know of the data behind the server."""

    main: int
    planted: int
    adopt: int
    user_ids: dict[str, int]


def build_world(url: str) -> World:
    """Users, editions, roles and planted material, stored through the services."""
    from argon2 import PasswordHasher

    saved = accounts.HASHER
    # cheap hashes to build the world quickly; the server verifies them all the same
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    try:
        ids: dict[str, Any] = {}
        user_ids: dict[str, int] = {}
        with db.session() as s:
            for name, (clearance, admin, _) in USERS.items():
                user = accounts.add_user(s, name, password(name), "example", clearance, admin)
                user_ids[name] = user.id
        with db.session() as s:
            admin = Actor.of(_user(s, "admin"))
            ids["main"] = workspace.import_workbook(
                s, None, parse_workbook(example_raw(), {}, "example"), admin
            ).id
            ids["planted"] = workspace.import_workbook(
                s, None, parse_workbook(planted_raw(), {}, "planted"), admin
            ).id
            ids["adopt"] = workspace.import_workbook(
                s, None, parse_workbook(small_raw("adopt-2026", "Adoption picture"), {}, "a"), admin
            ).id
            for edition in ids.values():
                for name, (_, _, role) in USERS.items():
                    if role:
                        accounts.set_role(s, admin, edition, name, role)
        with db.session() as s:
            admin = Actor.of(_user(s, "admin"))
            set_score(
                s,
                admin,
                ids["planted"],
                SECRET_SLUG,
                "5.2",
                {"class": "D", "rationale": M_EDITED, "classification": SG},
                0,
                M_AUDIT,
            )
            set_score(
                s,
                admin,
                ids["planted"],
                "port-fire",
                "3.2",
                {"class": "C", "rationale": M_DV_EDITED, "classification": DV},
                0,
                M_DV_AUDIT,
            )
            review.add_comment(
                s, admin, ids["planted"], "dike-breach", f"Note {M_COMMENT}", None, SG
            )
            review.add_comment(
                s, admin, ids["planted"], "dike-breach", "A public remark", None, None
            )
    finally:
        db.close()
        accounts.HASHER = saved
    return World(**ids, user_ids=user_ids)


def _user(s: Any, name: str) -> Any:
    from sqlalchemy import select

    from natrisk.store.models import User

    return s.scalars(select(User).where(User.username == name)).one()


# ---------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m natrisk serve`` on 127.0.0.1 in a subprocess, stopped on close."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "server.log"
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "NATRISK_SECRET_KEY": SECRET_KEY,
            "XDG_DATA_HOME": str(home / "data"),
            "PYTHONUNBUFFERED": "1",
            # the access log apart, so a failed test's log tail shows tracebacks, not requests
            "NATRISK_ACCESS_LOG": str(home / "access.log"),
        }
        env.pop("NATRISK_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "natrisk", "serve", "--port", str(self.port)]
        # the whole browser suite against several web processes: NATRISK_TEST_SERVER_WORKERS=2
        workers = int(os.environ.get("NATRISK_TEST_SERVER_WORKERS") or 1)
        if workers > 1:
            cmd += ["--workers", str(workers)]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [*cmd, "--database", url],
                env=env,
                cwd=home,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait()

    def _wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base + "/login", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.close()
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@dataclass(frozen=True)
class Site:
    """A running server and the world behind it."""

    base: str
    world: World
    server: Server


# ---------------------------------------------------------------------------- the browser


class Browsers:
    """Opens browser contexts (one per person) and closes them at the end of a test."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.contexts: list[BrowserContext] = []

    def context(self, locale: str = "en-GB") -> BrowserContext:
        ctx = self.browser.new_context(
            base_url=self.site.base, viewport=VIEWPORT, locale=locale, accept_downloads=True
        )
        ctx.set_default_timeout(15_000)
        self.contexts.append(ctx)
        return ctx

    def page(self, user: str | None = None) -> Page:
        """A new page in a new context, signed in as ``user`` through the sign-in form."""
        page = self.context().new_page()
        if user:
            sign_in(page, user)
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


def sign_in(page: Page, user: str, target: str = "/editions") -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"/login?next={target}")
    fill_sign_in(page, user)
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))


def fill_sign_in(page: Page, user: str) -> None:
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password(user))
    page.get_by_role("button", name="Sign in").click()


def wait_for_diagram(page: Page, selector: str = "#diagram") -> None:
    """Wait until vega-embed has drawn the chart."""
    page.locator(f"{selector}[data-ready=true]").wait_for(state="attached")
    page.locator(f"{selector} svg.marks").wait_for()


def redraw(page: Page, action: Callable[[], object], selector: str = "#diagram") -> None:
    """Do ``action`` (a control change, a click) and wait for the diagram drawn after it.

    The diagram on screen is marked stale first, so the wait cannot be satisfied by the old
    one still showing while the new page or HTMX fragment is on its way.
    """
    page.evaluate(
        "s => { const e = document.querySelector(s); if (e) e.dataset.stale = '1'; }", selector
    )
    action()
    page.locator(f"{selector}[data-ready=true]:not([data-stale])").wait_for(state="attached")
    page.locator(f"{selector} svg.marks").wait_for()


def shot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def copy_to_docs(path: Path, name: str) -> None:
    """Refresh the README's screenshot only when asked (NATRISK_UPDATE_SCREENSHOTS=1)."""
    if os.environ.get("NATRISK_UPDATE_SCREENSHOTS") != "1":
        return
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, DOCS_IMG / name)


def markers_in(text: str, markers: Iterable[str] = MARKERS) -> list[str]:
    return [m for m in markers if m in text]


def csrf_of(where: Page | BrowserContext) -> str:
    """The CSRF token of a signed-in page (it is bound to the session, so the page has it)."""
    pages = [where] if isinstance(where, Page) else list(reversed(where.pages))
    script = (
        "() => JSON.parse(document.body?.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || ''"
    )
    for page in pages:
        token = page.evaluate(script) if page.url.startswith("http") else ""
        if token:
            return str(token)
    if isinstance(where, BrowserContext):  # signed in, but no page open yet: open one
        page = where.new_page()
        try:
            page.goto("/editions")
            token = page.evaluate(script)
        finally:
            page.close()
        if token:
            return str(token)
    raise AssertionError("no open page of this browser carries a CSRF token (signed in?)")


def expired_token(url: str, user_id: int) -> str:
    """A session token for the user, correctly signed, whose session expired an hour ago."""
    import datetime as dt

    from natrisk.services import signins
    from natrisk.store.models import SignIn

    saved = os.environ.get("NATRISK_SECRET_KEY")
    os.environ["NATRISK_SECRET_KEY"] = SECRET_KEY  # the server's, so the signature is right
    db = Database(url)
    try:
        with db.session() as s:
            user = s.get(User, user_id)
            assert user is not None
            token = signins.issue_token(user, s, kind="browser")
            row = s.get(SignIn, signins.resolve(s, token).sign_in_id)
            assert row is not None
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    finally:
        db.close()
        if saved is None:
            os.environ.pop("NATRISK_SECRET_KEY", None)
        else:
            os.environ["NATRISK_SECRET_KEY"] = saved
    return token
