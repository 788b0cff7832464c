"""The public risk map's first render in headless Chromium (issue 6: "the public map page (HTML +
data) < 1.5 MB, first render < 2 s in headless Chromium on loopback").

Setup: the real division tree (`shouwang geo load`: every one of the 2,845 county-level
divisions) and one published day with a realistic outbreak: 60 high- and 240 medium-risk
counties drawn around a few provinces (seeded), every other county low, written directly like
tests/risk/levels_factory.py (this measures the reader, not the computation).

Measured with Debian's Chromium (headless, --disable-gpu) through Playwright against gunicorn
(2 workers, SQLite, DEBUG off, static files from collectstatic through WhiteNoise, no gzip: a
proxy would add it), anonymous (no login), a fresh browser context per run (cold cache):
- bytes: every response the browser receives for the page until the map is drawn (the HTML,
  every script, style and data file), as Playwright's network events report them (decoded body
  and the encoded body size on the wire), with each resource listed; plus what gzip would make
  of them (a proxy's compression);
- first render: from navigation start to the map drawn (`performance.now()` when
  static/risk/public_map.js has put every county into the SVG), over 5 cold runs;
- zoom: from a click on a province to its finer file loaded and drawn.
The same again for the English page (cookie django_language=en: its island carries the
English names of every county and province, the map file keeps the Chinese ones).

    .venv/bin/python -m bench.bench_public_map
"""

from __future__ import annotations

import gzip
import io
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/bench-public-map")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench.common import write_result  # noqa: E402

RUNS = int(os.environ.get("BENCH_REPEATS", "5"))
DAY = date(2026, 2, 15)
HIGH, MEDIUM = 60, 240
CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]


def _publish() -> dict[str, int]:
    """One published day (DAY) with HIGH and MEDIUM counties around four outbreak provinces."""
    from django.utils import timezone

    from shouwang.geo.models import Division, Level
    from shouwang.risk.models import AreaRisk, Publication, RuleSet

    if not Division.objects.filter(level=Level.COUNTY).exists():
        call_command("geo", "load", "--no-progress", stdout=io.StringIO())
    counties = sorted(Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True))
    found = Publication.objects.filter(disease_id="covid19", day=DAY).first()
    if found is not None:
        return {"counties": len(counties), "high": found.n_high, "medium": found.n_medium}
    rng = np.random.default_rng(11)
    hot = [c for c in counties if c[:2] in ("42", "44", "31", "65")]
    chosen = [str(c) for c in rng.choice(hot, size=HIGH + MEDIUM // 2, replace=False)]
    rest = [c for c in counties if c not in set(chosen)]
    chosen += [str(c) for c in rng.choice(rest, size=MEDIUM - MEDIUM // 2, replace=False)]
    levels = {c: ("high" if i < HIGH else "medium") for i, c in enumerate(chosen)}
    rules = RuleSet.objects.get(code="cn-county-2020", version=1)
    start = timezone.make_aware(datetime.combine(DAY, dtime()))
    publication = Publication.objects.create(
        disease_id="covid19", day=DAY, published_at=start, effective_at=start,
        n_high=HIGH, n_medium=MEDIUM)
    rows = []
    for i, code in enumerate(counties):
        level = levels.get(code, "low")
        since = date(2026, 1, 1 + i % 28) if level != "low" else date(2025, 12, 1)
        rows.append(AreaRisk(
            disease_id="covid19", division_code=code, division_level="county", day=DAY,
            computed_level=level, level=level, rule_set=rules,
            inputs={"new_in_window": 0, "cumulative": 0, "window_days": 14, "threshold": 50},
            reason_code="no_case" if level == "low" else "under_threshold",
            reason="无确诊病例" if level == "low" else "14 天内新增 3 例，累计 12 例，未超过 50 例",
            previous_level="", since=since, computed_at=start, publication=publication))
    AreaRisk.objects.bulk_create(rows, batch_size=2000)
    return {"counties": len(counties), "high": HIGH, "medium": MEDIUM}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _warm_up(base: str, url: str) -> None:
    """Load the application in every gunicorn worker before measuring."""
    import urllib.request

    for _ in range(4):
        with urllib.request.urlopen(base + url, timeout=60) as response:  # our server
            response.read()


def _summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "median": round(statistics.median(values), 1),
            "max": round(max(values), 1), "each": [round(v) for v in values]}


def _measure(base: str, url: str, language: str = "zh-hans") -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    renders: list[float] = []
    zooms: list[float] = []
    resources: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        for run in range(RUNS):
            context = browser.new_context(viewport={"width": 1366, "height": 900},
                                          locale="zh-CN")
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            page.set_default_timeout(60_000)
            seen: list[Any] = []

            def finished(request: Any, into: list[Any] = seen) -> None:
                into.append(request)

            page.on("requestfinished", finished)
            page.goto(base + url)
            page.wait_for_selector("#risk-map[data-rendered='1']")
            renders.append(float(page.evaluate("window.__riskMapRenderedAt")))
            if run == 0:
                for request in seen:
                    response = request.response()
                    body = response.body() if response is not None else b""
                    sizes = request.sizes()
                    resources.append({
                        "url": request.url.replace(base, ""), "type": request.resource_type,
                        "bytes": len(body), "wire_body_bytes": sizes["responseBodySize"],
                        "header_bytes": sizes["responseHeadersSize"],
                        "gzip_bytes": len(gzip.compress(body, 6))})
                Path("/tmp/shots-public").mkdir(exist_ok=True)
                page.screenshot(path=f"/tmp/shots-public/bench-national-{language}.png")
                counties = int(page.evaluate(
                    "document.querySelectorAll('#risk-map .counties path').length"))
            t0 = float(page.evaluate("""() => {
                const t = performance.now();
                document.querySelector("#risk-map .counties path[data-c^='42']")
                    .dispatchEvent(new MouseEvent('click', {bubbles: true}));
                return t; }"""))
            page.wait_for_selector("#risk-map[data-zoomed='42'] .fine path")
            zooms.append(float(page.evaluate("performance.now()")) - t0)
            if run == 0:
                page.screenshot(path=f"/tmp/shots-public/bench-hubei-{language}.png")
            context.close()
        browser.close()
    total = sum(r["bytes"] for r in resources)
    return {
        "counties_drawn": counties, "resources": resources,
        "first_render_bytes": total,
        "first_render_wire_bytes": sum(r["wire_body_bytes"] + r["header_bytes"]
                                       for r in resources),
        "first_render_gzip_bytes": sum(r["gzip_bytes"] for r in resources),
        "first_render_cold_ms": _summary(renders), "province_zoom_ms": _summary(zooms),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)   # served with DEBUG off
    published = _publish()
    url = f"/public/risk/?date={DAY.isoformat()}"
    port = _free_port()
    env = {**os.environ, "SHOUWANG_DEBUG": "0", "SHOUWANG_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "shouwang.config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        _warm_up(base, url)
        measured = _measure(base, url)
        english = _measure(base, url, "en")
    finally:
        server.terminate()
        server.wait(timeout=10)
    figures: dict[str, Any] = {
        **published, "day": DAY.isoformat(), "database": django.db.connection.vendor,
        "server": "gunicorn, 2 sync workers, DEBUG off (no gzip: a proxy would add it)",
        "browser": "Debian chromium, headless, software rendering (--disable-gpu)",
        "runs": RUNS, **measured,
        "en": {k: english[k] for k in ("first_render_bytes", "first_render_gzip_bytes",
                                        "first_render_cold_ms", "province_zoom_ms")}
        | {"html_bytes": next(r["bytes"] for r in english["resources"]
                              if r["type"] == "document")}}
    write_result("public_map", figures, targets={
        "first_render_bytes": "< 1500000 (issue 6: HTML + data)",
        "first_render_cold_ms": "< 2000 (issue 6)"})


if __name__ == "__main__":
    main()
