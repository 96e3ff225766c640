"""National first paint of the planner's page in headless Chromium (issue 14 §4: < 2 s and < 3 MB).

    python bench/bench_first_paint.py --gpkg var/demo.gpkg            # writes bench/results/first_paint.json
    python bench/bench_first_paint.py --gpkg var/demo.gpkg --runs 10 --label after
    python bench/bench_first_paint.py --gpkg var/demo.gpkg --server-tree /path/to/main --label before

The store is a GeoPackage the demo loaded (``geo-ntm demo``: the real national 2009 and 2025
boundaries, generalised for the tiles, and the status samples; loaded here when ``--gpkg`` is not
given), served by a real ``geo-ntm serve`` (uvicorn, one process, run from ``--server-tree``, so
that the page of another checkout can be measured on the same store) in a subprocess. The browser
is the one the browser tests drive: Debian's ``/usr/bin/chromium`` by Playwright, headless.

Each run opens ``/`` (the whole country, its latest year) in a new browser context (an empty
cache: a first visit) of 1400 x 900 pixels, and records:

- ``first_paint_ms``: from the navigation's start to the first animation frame after the page
  says its map is drawn (``document.body.dataset.state`` turns ``ready``: the page sets it once
  the units are on the map - with vector tiles, once every tile in view is drawn). A script
  added before the page's own observes the attribute, so the definition is the same for a page
  drawing GeoJSON (before) and one drawing tiles (after);
- ``mark_ms``: the page's own ``performance.mark('ntm-first-map')`` where it sets one (the tiles);
- ``bytes``: the bytes received for every request of the page until then (Chrome DevTools
  Protocol ``Network.loadingFinished`` ``encodedDataLength``: headers and compressed bodies as
  they came over the wire), with the requests' count and the bytes per kind (map data, tiles,
  scripts and styles, the page).

The first run after the service starts also warms the server (its first answers read the store);
it is reported apart (``cold``) and left out of the medians."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from bench_api import REPO, Service, _geo_ntm
from provenance import git_state

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1400, "height": 900}
TARGET_MS, TARGET_BYTES = 2000, 3_000_000
#: Set before the page's own script: the time of the first frame after the page says it is ready.
OBSERVE_READY = """
(() => {
  const seen = () => {
    if (document.body && document.body.dataset.state === 'ready' && !window.__ntmReady) {
      window.__ntmReady = 'pending';
      requestAnimationFrame(t => { window.__ntmReady = t; });
    }
  };
  new MutationObserver(seen).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-state']});
})();
"""


def kind(url: str) -> str:
    """What a request fetched: map data, tiles, an asset, the page, or other JSON."""
    path = urlparse(url).path
    if path.startswith("/map/data"):
        return "map_data"
    if "/tiles/" in path:
        return "tiles"
    if path.startswith("/static/"):
        return "assets"
    if path in ("/", "/planner"):
        return "page"
    return "other"


def one_run(browser, url: str) -> dict:
    """One first visit of the national page: its first paint, the page's mark and the bytes received."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.add_init_script(OBSERVE_READY)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        urls: dict[str, str] = {}
        received: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        page.goto(url)
        page.wait_for_function("typeof window.__ntmReady === 'number'", timeout=120_000)
        first_paint = page.evaluate("window.__ntmReady")
        mark = page.evaluate("(performance.getEntriesByName('ntm-first-map')[0] || {}).startTime ?? null")
        page.wait_for_timeout(200)  # the last loadingFinished events of the answers drawn
        by_kind: dict[str, int] = {}
        for request, size in received.items():
            by_kind[kind(urls.get(request, ""))] = by_kind.get(kind(urls.get(request, "")), 0) + size
        return {
            "first_paint_ms": round(first_paint, 1),
            "mark_ms": None if mark is None else round(mark, 1),
            "bytes": sum(received.values()),
            "requests": len(received),
            "bytes_by_kind": dict(sorted(by_kind.items())),
        }
    finally:
        context.close()


def run(gpkg: Path | None, runs: int, label: str, server_tree: Path, out: Path | None, log=print) -> dict:
    """Serve the store, open the national page ``runs`` + 1 times (the first: cold), write ``out``."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="geo_ntm_bench_first_paint_"))
    if gpkg is None:
        gpkg = work / "demo.gpkg"
        started = time.perf_counter()
        _geo_ntm(str(gpkg), "demo")
        log(f"demo loaded in {time.perf_counter() - started:.0f} s")
    result: dict = {
        "what": "national first paint of the planner's page (/, the whole country) in headless Chromium, "
        "first visit (new browser context, cache disabled)",
        "definition": __doc__.split("records:")[1].split("The first run")[0].strip(),
        "label": label,
        "targets": {"first_paint_ms": TARGET_MS, "bytes": TARGET_BYTES},
        "store": f"GeoPackage loaded by geo-ntm demo ({gpkg.name})",
        "server": "geo-ntm serve (uvicorn, one process), GEO_NTM_LOG_LEVEL=WARNING",
        "server_tree": str(server_tree),
        "git": git_state(server_tree),
        "browser": f"{CHROMIUM} (headless, Playwright), viewport {VIEWPORT['width']}x{VIEWPORT['height']}",
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
        "machine": {"cpus": multiprocessing.cpu_count(), "python": platform.python_version()},
        "note": "2 cores shared with the browser, the service and other work running at the same time",
    }
    service = Service(str(gpkg), 10, work / "serve.log", tree=server_tree)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                measured = []
                for i in range(runs + 1):
                    measured.append(one_run(browser, f"{service.url}/"))
                    log(f"{'cold' if i == 0 else f'run {i}'}: {json.dumps(measured[-1])}")
            finally:
                browser.close()
    finally:
        service.stop()
    warm = measured[1:]
    result["cold"] = measured[0]
    result["runs"] = warm
    result["median"] = {
        "first_paint_ms": round(statistics.median(r["first_paint_ms"] for r in warm), 1),
        "bytes": int(statistics.median(r["bytes"] for r in warm)),
    }
    result["max_first_paint_ms"] = max(r["first_paint_ms"] for r in warm)
    median = result["median"]
    result["meets_targets"] = median["first_paint_ms"] < TARGET_MS and median["bytes"] < TARGET_BYTES
    result["load_average_after"] = os.getloadavg()
    result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    log(f"{label}: median first paint {result['median']['first_paint_ms']} ms, {result['median']['bytes']:,} bytes")
    if out is not None:
        saved = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        saved[label] = result  # before and after side by side in one file
        out.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {out} ({label})")
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--gpkg``, ``--runs``, ``--label``, ``--server-tree``, ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpkg", type=Path, help="a GeoPackage store the demo loaded already (else loaded here)")
    parser.add_argument("--runs", type=int, default=5, help="measured first visits (after one cold visit)")
    parser.add_argument("--label", default="after", help="the key of this run in the results file (before, after)")
    parser.add_argument("--server-tree", type=Path, default=REPO, help="the checkout the service runs from")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "first_paint.json")
    args = parser.parse_args(argv)
    run(args.gpkg, args.runs, args.label, args.server_tree.resolve(), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
