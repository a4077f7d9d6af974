"""Horizon scanning at scale: 20,000 generated signals in Dutch and English.

1. Deduplication and clustering (method/similarity.py): character n-gram TF-IDF, the
   near-duplicate pairs and the candidate threats, with time and peak memory, beside a
   plain-Python baseline of the same deduplication (n-gram counts in dictionaries, cosine
   of every pair) on growing samples, extrapolated to the full size by its measured growth.
2. The signal inbox in Chromium (Playwright) on a served natrisk holding the signals: first
   page, a search, a theme filter and the next page, each until the table shows; then the
   candidate threats page twice: the first visit computes the proposals (the page reports
   progress until they are there), the second finds them kept.

Target (issue 11): deduplication and clustering of 20,000 signals under 30 s and 1 GB on this
machine (2 cores); the inbox usable in under 1 s. Printed figures, no assertions.
Run: .venv/bin/python benchmarks/signals.py [--n 20000] [--no-browser]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from natrisk.method import similarity

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' served natrisk

NL = [
    "overstroming",
    "dijk",
    "stormvloed",
    "cyberaanval",
    "ziekenhuis",
    "stroomstoring",
    "gastekort",
    "desinformatie",
    "verkiezingen",
    "pandemie",
    "droogte",
    "sabotage",
    "onderzeese",
    "kabel",
    "noordzee",
    "spionage",
    "drones",
    "haven",
    "gijzelsoftware",
    "netbeheerder",
    "drinkwater",
    "betaalverkeer",
    "extremisme",
    "bedreiging",
    "burgemeester",
    "vogelgriep",
    "melkvee",
    "resistentie",
    "voorraad",
    "geneesmiddelen",
    "export",
    "militaire",
    "oefening",
    "grens",
]
EN = [
    "flood",
    "dike",
    "storm",
    "surge",
    "cyber",
    "attack",
    "hospital",
    "power",
    "outage",
    "gas",
    "shortage",
    "disinformation",
    "election",
    "pandemic",
    "drought",
    "sabotage",
    "undersea",
    "cable",
    "north",
    "sea",
    "espionage",
    "drones",
    "port",
    "ransomware",
    "grid",
    "operator",
    "drinking",
    "water",
    "payments",
    "extremism",
    "threat",
    "mayor",
    "avian",
    "influenza",
    "dairy",
    "cattle",
    "resistance",
    "stock",
    "medicines",
    "export",
    "military",
    "exercise",
    "border",
]
FILL_NL = [
    "de",
    "het",
    "een",
    "van",
    "in",
    "op",
    "met",
    "door",
    "bij",
    "naar",
    "volgens",
    "meldt",
    "ziet",
    "meer",
    "sterk",
    "nieuwe",
]
FILL_EN = [
    "the",
    "a",
    "of",
    "in",
    "on",
    "with",
    "by",
    "at",
    "to",
    "according",
    "reports",
    "sees",
    "more",
    "strong",
    "new",
]


def generate(n: int, seed: int = 1) -> list[str]:
    """Signals about ~n/40 topics, half Dutch, half English; one in ten a near-duplicate."""
    rng = random.Random(seed)
    topics = []
    for _ in range(max(1, n // 40)):
        nl = rng.random() < 0.5
        words = NL if nl else EN
        topics.append((nl, [rng.choice(words) for _ in range(6)] + [f"{rng.randrange(10**6)}"]))
    texts: list[str] = []
    for i in range(n):
        if i > 50 and rng.random() < 0.1:
            base = texts[rng.randrange(len(texts))]
            texts.append(base + rng.choice((" (bevestigd)", " (confirmed)", ".", " update")))
            continue
        nl, core = rng.choice(topics)
        fill = FILL_NL if nl else FILL_EN
        words = NL if nl else EN
        body = core + [rng.choice(fill) for _ in range(8)] + [rng.choice(words) for _ in range(4)]
        rng.shuffle(body)
        texts.append(" ".join(body) + f" {rng.randrange(10**5)}")
    return texts


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def natrisk_run(texts: list[str]) -> tuple[int, int, float]:
    """Near-duplicate pairs and clusters with natrisk; (pairs, clusters, seconds)."""
    start = time.perf_counter()
    pairs, labels = similarity.analyse(texts)
    return len(pairs), int(labels.max()) + 1, time.perf_counter() - start


def plain_pairs(texts: list[str], threshold: float = 0.8) -> int:
    """The same deduplication in plain Python: n-gram TF-IDF in dicts, cosine of every pair."""
    grams = []
    for t in texts:
        c: Counter[str] = Counter()
        for word in similarity.normalise(t).split():
            w = f" {word} "
            for k in (3, 4, 5):
                c.update(w[i : i + k] for i in range(len(w) - k + 1))
        grams.append(c)
    df: Counter[str] = Counter(g for c in grams for g in c)
    n = len(texts)
    vecs = []
    for c in grams:
        v = {g: (1 + math.log(f)) * (math.log((1 + n) / (1 + df[g])) + 1) for g, f in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({g: x / norm for g, x in v.items()})
    found = 0
    for i in range(n):
        a = vecs[i]
        for j in range(i + 1, n):
            b = vecs[j]
            small, big = (a, b) if len(a) < len(b) else (b, a)
            if sum(x * big.get(g, 0.0) for g, x in small.items()) >= threshold:
                found += 1
    return found


def baseline(sizes: list[int], full: int) -> None:
    times = []
    for n in sizes:
        texts = generate(n)
        start = time.perf_counter()
        plain_pairs(texts)
        times.append(time.perf_counter() - start)
        print(f"  plain Python, {n:>6,} signals: {times[-1]:8.2f} s")
    growth = math.log(times[-1] / times[0]) / math.log(sizes[-1] / sizes[0])
    guess = times[-1] * (full / sizes[-1]) ** growth
    print(f"  plain Python grows as n^{growth:.2f}: {full:,} signals would take ~{guess:,.0f} s")


def inbox(n: int, texts: list[str]) -> None:
    """The inbox page in Chromium on a served natrisk holding the signals."""
    import tempfile

    from argon2 import PasswordHasher
    from playwright.sync_api import sync_playwright
    from tests.served import PASSWORD, Served

    from natrisk.domain.signals import SignalFile
    from natrisk.io.workbook import load_workbook
    from natrisk.services import accounts, workspace
    from natrisk.services.access import Actor
    from natrisk.services.signal_files import import_file
    from natrisk.store.database import Database

    root = Path(__file__).resolve().parents[1]
    home = Path(tempfile.mkdtemp(prefix="natrisk-bench-signals-"))
    url = f"sqlite:///{home / 'natrisk.db'}"
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    db = Database(url)
    themes = ["cyber", "economic", "critical-infrastructure", "major-accidents"]
    doc = SignalFile.model_validate(
        {
            "signals": [
                {
                    "id": f"b{i}",
                    "title": t[:120],
                    "description": t,
                    "observed": "2026-06-01",
                    "themes": [themes[i % 4]],
                    "horizon": "short",
                }
                for i, t in enumerate(texts)
            ]
        }
    )
    start = time.perf_counter()
    with db.session() as s:
        admin = accounts.add_user(s, "admin", PASSWORD, "example", 3, True)
        actor = Actor.of(admin)
        example = root / "examples" / "nl-2026.yaml"
        ed = workspace.import_workbook(s, example, load_workbook(example), actor).id
        import_file(s, actor, ed, doc, lambda loc, m: None)  # type: ignore[arg-type,return-value]
    db.close()
    print(
        f"  stored {n:,} signals (with their audit entries) in {time.perf_counter() - start:.1f} s"
    )
    server = Served(url, home / "srv")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"{server.base}/login?next=/editions")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/editions")
            word = texts[7].split()[0]
            steps = {
                "first page": f"/editions/{ed}/signals",
                f"search '{word}'": f"/editions/{ed}/signals?q={word}",
                "theme filter": f"/editions/{ed}/signals?theme=cyber",
                "page 200": f"/editions/{ed}/signals?page=200",
            }
            for name, target in steps.items():
                start = time.perf_counter()
                page.goto(server.base + target)
                page.wait_for_selector("[data-testid=signals] tbody tr")
                print(f"  inbox, {name:<22} {time.perf_counter() - start:6.3f} s")
            for visit in ("first", "second"):
                start = time.perf_counter()
                page.goto(f"{server.base}/editions/{ed}/clusters")
                while page.locator("[data-testid=computing]").count():
                    time.sleep(0.5)  # the page said it is computing: come back as a reader would
                    page.reload()
                seconds = time.perf_counter() - start
                print(f"  candidate threats, {visit} visit {seconds:8.3f} s")
            browser.close()
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    print(f"deduplication and clustering of {args.n:,} generated signals (Dutch and English)")
    for n in (2_000, 5_000, args.n):
        texts = generate(n)
        pairs, groups, seconds = natrisk_run(texts)
        print(f"  natrisk, {n:>6,} signals: {seconds:7.2f} s, {pairs:,} near-duplicate pairs, "
              f"{groups:,} clusters, peak {peak_mb():,.0f} MB")  # fmt: skip
    baseline([250, 500, 1000], args.n)
    if not args.no_browser:
        print("the signal inbox in Chromium")
        inbox(args.n, generate(args.n))


if __name__ == "__main__":
    main()
