"""Runs in the browser: the progress bar fills while a worker of ``natrisk serve`` works, the
owner cancels the run with its button and retries it; nobody else gets the buttons."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from web_support import Browsers


def test_a_run_shows_progress_and_its_owner_cancels_and_retries_it(people: Browsers) -> None:
    page = people.page("analyst2")
    main = people.site.world.main
    page.goto(f"/editions/{main}/sensitivity")
    page.get_by_label("Samples").fill("1000000")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(rf"/editions/{main}/sensitivity\?run=\d+$"))
    run = page.get_by_test_id("run")
    bar = run.get_by_test_id("run-progress")
    expect(bar).to_be_visible()
    # the bar is filled from the progress the worker stores (polled every second)
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=run-progress]')?.value) > 0",
        timeout=90_000,
    )
    run_id = page.url.rsplit("=", 1)[1]
    other = people.page("analyst1")
    other.goto(f"/runs/{run_id}/view")
    expect(other.get_by_test_id("run")).to_be_visible()
    expect(other.get_by_test_id("run-cancel")).to_have_count(0)  # not theirs to cancel
    run.get_by_test_id("run-cancel").click()
    run = page.get_by_test_id("run")
    expect(run.get_by_test_id("run-status")).to_have_text("cancelled", timeout=60_000)
    expect(run.get_by_test_id("run-error")).to_contain_text("cancelled")
    run.get_by_test_id("run-retry").click()
    run = page.get_by_test_id("run")
    expect(run.get_by_test_id("run-progress")).to_be_visible()
    run.get_by_test_id("run-cancel").click()
    expect(page.get_by_test_id("run").get_by_test_id("run-status")).to_have_text(
        "cancelled", timeout=60_000
    )
