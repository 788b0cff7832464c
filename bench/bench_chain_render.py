"""The chain view of a 2,000-case transmission chain in headless Chromium (issue 5: "renders in
< 3 s and stays responsive").

Setup: 2,400 synthetic COVID-19 reports in 武昌区 (70 %) and 洪山区 (30 %) (bench/case_rows.py:
encrypted persons), of which the first 2,000 active ones by onset form one chain: each case's
infector is drawn among the 300 cases ill before it, weighted by a gamma(0.5) infectiousness
(over-dispersed offspring, as real chains are). The 1,999 links are stored by the real service
(`links_confirm_bulk`, timed: one transaction, the whole graph checked).

Measured with Debian's Chromium (headless, SwiftShader's software WebGL) through Playwright
against gunicorn (2 workers, SQLite), as 武昌区's county officer (so 洪山区's people are
pseudonymised on the server), in SVG (the page's renderer; software WebGL, `?gl=1`, took 11 s to
draw the same chain and stalled on wheel zoom — decision 1030):
- first render: from navigation start to the chart drawn (`performance.now()` when Plotly's
  newPlot resolved: the HTML with its data island, Plotly's script, layout and drawing), a cold
  browser context each run, and a warm one (Plotly cached);
- hover: from the mouse move to the highlighted infector and infectees drawn, over 20 cases;
- click: from the mouse press on a pseudonymised case to its pinned highlight drawn;
- zoom: from a wheel step to Plotly's first `relayouting` (the view moves) and to its
  `afterplot` (every mark redrawn at the new scale).

    .venv/bin/python -m bench.bench_chain_render
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/bench-chain-render")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench.common import write_result  # noqa: E402

CHAIN = int(os.environ.get("BENCH_CHAIN_CASES", "2000"))
RUNS = int(os.environ.get("BENCH_REPEATS", "5"))
HOVERS = 20
MARKER = "bench-chain"
CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]


def _users() -> tuple[Any, Any]:
    from tests.factories import PASSWORD, ensure_sample_divisions

    from shouwang.accounts.models import User
    from shouwang.accounts.roles import Role
    from shouwang.accounts.services import user_create

    ensure_sample_divisions()
    out = []
    for role, code, name in ((Role.COUNTY_OFFICER, "420106", "bench-chain-wuchang"),
                             (Role.CITY_OFFICER, "420100", "bench-chain-wuhan")):
        user = User.objects.filter(username=name).first() or user_create(
            actor=None, username=name, password=PASSWORD, role=role, division_code=code,
            check_password_strength=False)
        out.append(user)
    return out[0], out[1]


def _chain(city: Any) -> tuple[int, int, float]:
    """(root case id, links, seconds to confirm them): loads the reports and links them once."""
    from bench import case_rows
    from shouwang.surveillance.models import CaseReport
    from shouwang.tracing.models import LinkStatus, TransmissionLink
    from shouwang.tracing.services.links import links_confirm_bulk

    marked = CaseReport.objects.filter(reporting_facility__startswith=MARKER)
    if marked.count() < CHAIN * 1.2:
        case_rows.delete(MARKER)
        case_rows.load(n_cases=int(CHAIN * 1.2), user_id=city.pk, marker=MARKER,
                       first_day=date.today() - timedelta(days=80), days=60,
                       diseases={"covid19": 1.0}, codes=["420106", "420111"],
                       weights=[0.7, 0.3], seed=5)
    cases = list(marked.filter(status="active", onset_date__isnull=False)
                 .select_related("disease").order_by("onset_date", "pk")[:CHAIN])
    root = cases[0]
    existing = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                               infectee__in=[c.pk for c in cases]).count()
    if existing >= len(cases) - 1:
        return root.pk, existing, float("nan")
    rng = np.random.default_rng(7)
    nu = rng.gamma(0.5, 2.0, size=len(cases))
    pairs = []
    for i in range(1, len(cases)):
        lo = max(0, i - 300)
        w = nu[lo:i] / nu[lo:i].sum()
        pairs.append((cases[lo + int(rng.choice(i - lo, p=w))], cases[i]))
    t0 = time.perf_counter()
    links_confirm_bulk(actor=city, pairs=pairs, reason="bench")
    return root.pk, len(pairs), time.perf_counter() - t0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_cookie(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


def _warm_up(base: str, cookie: str, root: int) -> None:
    """Load the application in every gunicorn worker (a worker imports Django and the apps on
    its first request: seconds that belong to a deployment's start, not to the page)."""
    import urllib.request

    from django.urls import reverse

    for path in (f"/tracing/cases/{root}/chain/", reverse("geo:plotly-js")) * 4:
        request = urllib.request.Request(base + path, headers={"Cookie": f"sessionid={cookie}"})
        with urllib.request.urlopen(request, timeout=60) as response:  # our server
            response.read()


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def _p90(values: list[float]) -> float:
    return round(float(np.percentile(values, 90)), 1)


def _measure(base: str, cookie: str, root: int, renderer: str) -> dict[str, Any]:
    """The figures of the module docstring for one renderer ("svg" or "webgl")."""
    from playwright.sync_api import sync_playwright

    url = f"{base}/tracing/cases/{root}/chain/?gl={1 if renderer == 'webgl' else 0}"
    cold: list[float] = []
    warm: list[float] = []
    hovers: list[float] = []
    clicks: list[float] = []
    zooms: list[float] = []
    feedback: list[float] = []
    info: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        for run in range(RUNS):
            context = browser.new_context(viewport={"width": 1366, "height": 900},
                                          locale="zh-CN")
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
            page = context.new_page()
            page.set_default_timeout(60_000)
            for target in (cold, warm):
                response = page.goto(url)
                page.wait_for_selector("#chain-chart[data-rendered='1']")
                target.append(float(page.evaluate("window.__chainRenderedAt")))
            if run == 0:
                assert response is not None
                info = page.evaluate("""() => {
                    const d = JSON.parse(document.getElementById('chain-data').textContent);
                    return {nodes: d.nodes.id.length, edges: d.confirmed.length,
                            pseudonymised: d.nodes.pseudo.filter((p) => p).length,
                            generations: d.generations,
                            data_island_bytes: document.getElementById('chain-data')
                                .textContent.length,
                            renderer: document.getElementById('chain-chart').dataset.renderer};
                }""")
                info["html_bytes"] = len(response.body())
            page.evaluate("""() => {
                for (const kind of ['mousemove', 'mousedown']) {
                    document.addEventListener(kind, () => {
                        window['__' + kind] = performance.now(); }, {capture: true});
                }
                let plots = 0;
                const el = document.getElementById('chain-chart');
                el.on('plotly_relayouting', () => {
                    window.__relayouting = window.__relayouting || performance.now(); });
                el.on('plotly_afterplot', () => {
                    window.__afterplot = performance.now();
                    plots += 1;
                    document.body.dataset.afterplot = String(plots);
                });
            }""")
            targets = page.evaluate(f"""() => {{
                const el = document.getElementById('chain-chart');
                const c = JSON.parse(document.getElementById('chain-data').textContent).nodes;
                const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
                const r = el.getBoundingClientRect();
                const at = (i) => ({{id: c.id[i], x: r.left + xa._offset + xa.l2p(c.x[i]),
                                    y: r.top + ya._offset + ya.l2p(c.y[i])}});
                const step = Math.ceil(c.id.length / {HOVERS});
                const spread = c.id.map((_, i) => i).filter((i) => i % step === 0);
                const outside = c.id.map((_, i) => i).filter((i) => c.pseudo[i]).slice(0, 5);
                return {{hover: spread.map(at), click: outside.map(at)}};
            }}""")
            for t in targets["hover"]:
                page.mouse.move(t["x"] + 40, t["y"] + 40)   # off the node first
                seen = int(page.evaluate(
                    "Number(document.getElementById('chain-chart').dataset.highlights || 0)"))
                page.mouse.move(t["x"], t["y"])
                try:   # whichever case is under the mouse (at 2,000 cases markers overlap)
                    page.wait_for_selector(f"#chain-chart[data-highlights='{seen + 1}']",
                                           timeout=1500)
                except Exception:   # nothing under the mouse
                    continue
                hovers.append(float(page.evaluate(
                    "window.__chainHighlightedAt - window.__mousemove")))
            for t in targets["click"]:
                page.mouse.move(t["x"], t["y"])
                page.wait_for_timeout(100)
                seen = int(page.evaluate(
                    "Number(document.getElementById('chain-chart').dataset.highlights || 0)"))
                page.mouse.click(t["x"], t["y"])
                try:
                    page.wait_for_selector(f"#chain-chart[data-highlights='{seen + 1}']",
                                           timeout=1500)
                except Exception:
                    continue
                if page.get_attribute("#chain-chart", "data-clicked") is None:
                    continue
                clicks.append(float(page.evaluate(
                    "window.__chainHighlightedAt - window.__mousedown")))
            box = page.locator("#chain-chart").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            for _ in range(3):
                seen = int(page.evaluate("Number(document.body.dataset.afterplot || 0)"))
                before = float(page.evaluate("window.__relayouting = 0; performance.now()"))
                page.mouse.wheel(0, -240)
                page.wait_for_selector(f"body[data-afterplot='{seen + 1}']", state="attached")
                zooms.append(float(page.evaluate("window.__afterplot")) - before)
                moved = float(page.evaluate("window.__relayouting"))
                if moved:
                    feedback.append(moved - before)
            context.close()
        browser.close()

    def summary(values: list[float]) -> dict[str, Any]:
        if not values:
            return {"n": 0}
        return {"n": len(values), "median": _median(values), "p90": _p90(values),
                "max": round(max(values), 1)}

    return {
        **info, "runs": RUNS, "first_render_cold_each_ms": [round(v) for v in cold],
        "first_render_cold_ms": summary(cold), "first_render_warm_ms": summary(warm),
        "hover_highlight_ms": summary(hovers), "click_pin_ms": summary(clicks),
        "wheel_zoom_feedback_ms": summary(feedback), "wheel_zoom_redrawn_ms": summary(zooms),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)   # served with DEBUG off
    wuchang, city = _users()
    root, links, confirm_s = _chain(city)
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
        cookie = _session_cookie(wuchang)
        _warm_up(base, cookie, root)
        measured = _measure(base, cookie, root, "svg")
    finally:
        server.terminate()
        server.wait(timeout=10)
    figures: dict[str, Any] = {"chain_cases": CHAIN, "links": links,
               "links_confirm_bulk_seconds": (None if confirm_s != confirm_s
                                              else round(confirm_s, 2)),
               "database": django.db.connection.vendor,
               "server": "gunicorn, 2 sync workers, DEBUG off (no gzip: a proxy would add it)",
               "browser": "Debian chromium, headless, software rendering (--disable-gpu)",
               **measured}
    write_result("chain_render", figures, targets={
        "first_render_cold_ms": "< 3000 (issue 5)", "hover_highlight_ms": "< 100 (responsive)",
        "click_pin_ms": "< 100 (responsive)", "wheel_zoom_feedback_ms": "< 100 (responsive)"})


if __name__ == "__main__":
    main()
