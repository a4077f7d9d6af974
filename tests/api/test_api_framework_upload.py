"""An uploaded workbook names its framework by id, never by a file on the server.

Whatever an upload gives in ``edition.framework`` that is not the id of a bundled or stored
framework gets one and the same answer, without the server opening any file: a valid
framework file elsewhere on the disk, a path out of the working folder, a file that is not
YAML and a missing one all read alike. Administrators store frameworks (API and command
line), and uploads name them by id; the command line keeps reading a local framework file.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_support import ROOT, World, assert_error, signed_in_browser, small_raw, snapshot
from sqlalchemy import select
from tests.store.store_support import run_cli

from natrisk.services import framework_store, frameworks
from natrisk.store.models import Edition, FrameworkRecord

NL2019 = ROOT / "src" / "natrisk" / "frameworks" / "nl-2019.yaml"
MARKER = "MARKER-FRAMEWORK-FILE-LINE-3e1d"


def framework_doc(fid: str) -> dict[str, Any]:
    """The bundled nl-2019 framework under another id."""
    raw = yaml.safe_load(NL2019.read_text(encoding="utf-8"))
    raw["id"] = fid
    return dict(raw)


@pytest.fixture
def server_files(tmp_path: Path) -> dict[str, str]:
    """Framework references an attacker might try: files on the server's disk, and not."""
    valid = tmp_path / "elsewhere" / "leaked.yaml"
    valid.parent.mkdir()
    valid.write_text(yaml.safe_dump(framework_doc("leaked-framework")), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(f"id: x\n  {MARKER}: [unclosed\n", encoding="utf-8")
    up = "../" * len(Path.cwd().parts)
    return {
        "valid file": str(valid),
        "relative path out": up + str(valid).lstrip("/"),
        "not YAML": str(broken),
        "missing file": str(tmp_path / "no-such.yaml"),
        "id-like file name": "leaked.yaml",
        "unknown id": "nl-1999",
    }


@pytest.fixture
def no_file_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if resolving an upload's framework looks at a path."""

    def looked(ref: str, base_dir: Path | None = None) -> Path | None:
        raise AssertionError(f"the server looked for a framework file {ref!r}")

    monkeypatch.setattr(framework_store, "framework_file", looked)
    monkeypatch.setattr(frameworks, "framework_file", looked)


def workbook(framework: str, slug: str = "framework-probe") -> dict[str, Any]:
    raw = small_raw(slug, "Framework probe")
    raw["edition"]["framework"] = framework
    return raw


def upload(w: World, raw: dict[str, Any]) -> Any:
    text = yaml.safe_dump(raw).encode()
    return w.as_("admin1").post(
        "/api/editions/upload", files={"file": ("book.yaml", text, "application/yaml")}
    )


def message_of(page: str) -> str:
    """The error message part of a page (the rest holds per-response tokens)."""
    found = re.search(r'<div class="msg error".*?</div>', page, re.S)
    assert found, page[:500]
    return found.group()


@pytest.mark.parametrize("route", ["upload", "json body", "browser import"])
def test_an_upload_names_a_framework_only_by_id(
    world: World, server_files: dict[str, str], no_file_opened: None, route: str
) -> None:
    w = world
    before = snapshot(w.db, skip=("login_attempts", "sign_ins"))
    answers = {}
    if route == "browser import":
        browser, csrf = signed_in_browser(w, "admin1")
    for label, ref in server_files.items():
        if route == "upload":
            r = upload(w, workbook(ref))
        elif route == "json body":
            r = w.as_("admin1").post("/api/editions", json=workbook(ref))
        else:
            text = yaml.safe_dump(workbook(ref)).encode()
            r = browser.post(
                "/import",
                headers={"x-csrf-token": csrf},
                files={"file": ("book.yaml", text, "application/yaml")},
            )
        assert r.status_code == 400, (label, r.text[:500])
        assert MARKER not in r.text, label
        assert "leaked-framework" not in r.text, label
        answers[label] = r.json() if route != "browser import" else message_of(r.text)
    assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1, answers
    sample = json.dumps(next(iter(answers.values())))
    assert "nl-2019" in sample and "edition.framework" in sample, sample
    if route != "browser import":
        err = assert_error(upload(w, workbook("/etc/passwd")), 400)
        assert err["type"] == "FrameworkError", err
    assert snapshot(w.db, skip=("login_attempts", "sign_ins")) == before
    with w.db.session() as s:
        assert s.get(FrameworkRecord, "leaked-framework") is None


def test_an_administrator_stores_a_framework_that_uploads_then_name(world: World) -> None:
    w = world
    admin = w.as_("admin1")
    fid = f"own-{uuid.uuid4().hex[:6]}"
    listed = admin.ok("GET", "/api/frameworks")
    assert {"id": "nl-2019", "name": listed[1]["name"], "source": "bundled"} in listed
    assert fid not in {f["id"] for f in listed}

    # only administrators; an invalid document is refused with its place; nothing changes
    before = snapshot(w.db)
    body = yaml.safe_dump(framework_doc(fid))
    for name in ("coord", "analyst", "reader"):
        assert_error(w.as_(name).post("/api/frameworks", content=body), 403)
        assert_error(w.as_(name).get("/api/frameworks"), 403)
    bad = {**framework_doc(fid), "interests": "five", "weights": 3}
    err = assert_error(admin.post("/api/frameworks", content=yaml.safe_dump(bad)), 400)
    assert {p["field"] for p in err["problems"]} >= {"interests", "weights"}, err
    assert err["problems"] and all(p["where"].startswith("line ") for p in err["problems"]), err
    err = assert_error(
        admin.post("/api/frameworks", content=yaml.safe_dump(framework_doc("nl-2019"))), 409
    )
    assert "new id" in err["message"], err
    assert snapshot(w.db) == before

    stored = admin.ok("POST", "/api/frameworks", 201, content=body)
    assert stored == {"id": fid, "name": framework_doc(fid)["name"]["en"], "source": "stored"}
    assert_error(admin.post("/api/frameworks", content=body), 409)  # never changed in place
    assert {"id": fid, "name": stored["name"], "source": "stored"} in admin.ok(
        "GET", "/api/frameworks"
    )
    as_json = json.dumps(framework_doc(fid + "-json"))
    admin.ok(
        "POST",
        "/api/frameworks",
        201,
        content=as_json,
        headers={"content-type": "application/json"},
    )

    r = upload(w, workbook(fid))
    assert r.status_code == 201, r.text
    assert r.json()["framework"] == fid
    r = admin.post("/api/editions", json=workbook(fid + "-json", "framework-probe-json"))
    assert r.status_code == 201, r.text


def test_the_command_line_stores_frameworks_and_still_reads_local_files(
    world: World, tmp_path: Path
) -> None:
    w = world
    url = ("--database", w.db.engine.url.render_as_string(hide_password=False))
    fid = f"cli-{uuid.uuid4().hex[:6]}"
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(framework_doc(fid)), encoding="utf-8")

    refused = run_cli("db", "add-framework", path, "--user", "coord", *url, cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "administrators" in refused.stderr
    added = run_cli("db", "add-framework", path, "--user", "admin1", *url, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert repr(fid) in added.stderr
    r = upload(w, workbook(fid))  # the server now knows it by id
    assert r.status_code == 201, r.text

    # a workbook on the command line may still name its framework by a relative path
    local = tmp_path / "local-framework.yaml"
    local.write_text(yaml.safe_dump(framework_doc("local-framework")), encoding="utf-8")
    book = tmp_path / "book.yaml"
    book.write_text(yaml.safe_dump(workbook("local-framework.yaml", "cli-local")), encoding="utf-8")
    imported = run_cli("db", "import", book, "--user", "admin1", *url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    book.write_text(yaml.safe_dump(workbook(fid, "cli-stored")), encoding="utf-8")
    imported = run_cli("db", "import", book, "--user", "admin1", *url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    with w.db.session() as s:
        used = {slug: fw for slug, fw in s.execute(select(Edition.slug, Edition.framework_id))}
    assert used["cli-local"] == "local-framework" and used["cli-stored"] == fid
