"""The report opened in real headless Chromium: it loads with no console error and no request
beyond its own files, every figure decodes, every heading is there, the tables sort, and a
screenshot of it is kept with the test artefacts."""
import pytest

from tests.report_store import (HARDWARE_GPU, SOFTWARE_GPU, browser_results, fill_runs, native_results,
                                one_environment_store)
from tests.test_report import PARTS, SECTIONS
from webdlbench.browser import BASE_FLAGS, find_browser
from webdlbench.report.build import build_report
from webdlbench.store import Store

pytestmark = pytest.mark.browser


def _two_environments(path):
    with Store.open(path) as store:
        fill_runs(store, "quick", "test", browser_results, SOFTWARE_GPU)
        fill_runs(store, "quick", "grid", browser_results, HARDWARE_GPU, slow=3.0)
        fill_runs(store, "gap-quick", "test", native_results)
    return path


def _open(index, screenshot):
    """Load the page; return what a reader's browser saw (console, requests, images, headings)."""
    from playwright.sync_api import sync_playwright

    seen = {"console": [], "errors": [], "requests": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=list(BASE_FLAGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                    else None)
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(index.as_uri(), wait_until="load")
            seen["images"] = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => ({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth}))")
            seen["h2"] = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
            seen["h3"] = page.eval_on_selector_all("h3", "hs => hs.map(h => h.textContent)")
            # Long tables start folded: unfold them all, then sort the ratio table by its Ratio column.
            page.eval_on_selector_all("details", "ds => ds.forEach(d => { d.open = true; })")
            header = page.locator("#ratios table").nth(1).locator("th", has_text="Ratio").first
            column = page.locator("#ratios table").nth(1).locator("th").evaluate_all(
                "ths => ths.findIndex(t => t.textContent === 'Ratio')")
            cells = f"#ratios table >> nth=1 >> tbody tr td:nth-child({column + 1})"
            header.click()
            seen["ascending"] = [float(t.replace(",", "")) for t in page.locator(cells).all_inner_texts()]
            header.click()
            seen["descending"] = [float(t.replace(",", "")) for t in page.locator(cells).all_inner_texts()]
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return seen


@pytest.mark.parametrize("name,make", [("one-environment", one_environment_store), ("two-environments", _two_environments)])
def test_report_page_in_a_real_browser(name, make, tmp_path, artifacts_dir):
    out = artifacts_dir / f"report-{name}"
    index = build_report(make(tmp_path / "store.sqlite"), out)
    screenshot = artifacts_dir / f"report-{name}.png"
    seen = _open(index, screenshot)
    assert seen["console"] == [] and seen["errors"] == []
    own = out.resolve().as_uri()
    foreign = [u for u in seen["requests"] if not (u.startswith(own + "/") or u.startswith("data:"))]
    assert foreign == [] and seen["requests"][0] == index.resolve().as_uri()
    assert len(seen["images"]) >= 6 and all(i["ok"] for i in seen["images"])
    for part in PARTS:
        assert any(h.startswith(part) for h in seen["h2"]), part
    for section in SECTIONS:
        assert any(h.startswith(section) for h in seen["h3"]), section
    assert len(seen["ascending"]) > 1 and seen["ascending"] == sorted(seen["ascending"])
    assert seen["descending"] == sorted(seen["ascending"], reverse=True)
    assert screenshot.stat().st_size > 10_000


def test_the_first_screen_shows_the_answer_and_the_contents_stay_in_view(tmp_path, artifacts_dir):
    """What a reader sees before scrolling: the software-GPU banner, the answer heading and the
    recommendations (browser vs native); and, far down the page, the table of contents still beside
    the text, marking where they are."""
    from playwright.sync_api import sync_playwright

    out = artifacts_dir / "report-first-screen"
    index = build_report(one_environment_store(tmp_path / "store.sqlite"), out)
    html = index.read_text()
    assert str(tmp_path) not in html and str(out) not in html and find_browser() not in html
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=list(BASE_FLAGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(index.as_uri(), wait_until="load")
            page.screenshot(path=str(artifacts_dir / "report-first-screen.png"))

            def box(selector):
                return page.locator(selector).first.bounding_box()
            banner, heading = box("p.banner"), box("h2")
            first, fifth = box("ul.recommendations li"), box("ul.recommendations li >> nth=4")
            first_text = page.locator("ul.recommendations li").first.inner_text()
            page.locator("#fig6").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            toc = box("nav.toc")
            here = page.eval_on_selector_all("nav.toc a.here", "as => as.map(a => a.textContent)")
        finally:
            browser.close()
    assert banner["y"] + banner["height"] <= 900 and "software GPU (SwiftShader)" in html
    assert heading["y"] < banner["y"] + 400  # the answer's heading right under the banner
    assert first["y"] + first["height"] <= 900 and fifth["y"] + fifth["height"] <= 900
    assert first_text.startswith("infer, mlp 1x64") and "in this browser:" in first_text and "native" in first_text
    assert toc["y"] == 0 and toc["height"] > 400  # still beside the text, 20 screens down
    assert here == ["Figure 6: decision trees of the time ratio"]
