"""The page's renderer is told by elimination (not Chromium's UI, not a renderer that existed before
the page), whatever Chromium started ahead of time and whenever; checked against the real browser by
making the page busy and seeing whose CPU time grows — with the software flags and with the NVIDIA
flags (which start here too)."""
import asyncio

import psutil
import pytest
from aiohttp import web

from webdlbench.browser import find_browser
from webdlbench.drivers.local import LocalDriver
from webdlbench.monitor import ProcessMonitor

pytestmark = pytest.mark.browser

# COOP/COEP as the results server sends them: a cross-origin-isolated page is where the blank tab's
# renderer is swapped for another, which broke identification by start time.
PAGE = "<!doctype html><title>busy</title><p>busy</p>"
HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
BUSY_JS = "() => { const end = performance.now() + 1500; while (performance.now() < end); return 1; }"


async def _page(request):
    return web.Response(text=PAGE, content_type="text/html", headers=HEADERS)


async def _serve():
    app = web.Application()
    app.router.add_get("/page.html", _page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def _renderer_cpu(browser: psutil.Process) -> dict[int, float]:
    times = {}
    for child in browser.children(recursive=True):
        try:
            if "--type=renderer" in child.cmdline():
                cpu = child.cpu_times()
                times[child.pid] = cpu.user + cpu.system
        except psutil.NoSuchProcess:
            continue
    return times


async def _busy_page_is_the_identified_renderer(gpu: bool) -> None:
    runner, port = await _serve()
    driver = LocalDriver(find_browser(), gpu=gpu)
    await driver.start()
    try:
        for load in range(2):  # a second page in the same browser: the first one's renderer is gone or idle
            page = await driver.new_page()
            await page.goto(f"http://127.0.0.1:{port}/page.html?load={load}&x=1")
            browser = driver.browser_process()
            before = _renderer_cpu(browser)
            monitor = ProcessMonitor(browser, page.earlier_renderers)
            monitor.page_committed()
            monitor.start()
            for _ in range(50):  # the blank tab's renderer, swapped out for this isolated page, exits soon
                if monitor.renderer_pid:
                    break
                await asyncio.sleep(0.1)
            monitor.mark("measure")
            assert monitor.renderer_pid in before, monitor.renderer_identified
            await page.page.evaluate(BUSY_JS)
            monitor.mark("done")
            await monitor.stop()
            after = _renderer_cpu(browser)
            grown = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
            assert max(grown, key=grown.get) == monitor.renderer_pid, grown
            assert grown[monitor.renderer_pid] > 0.5, grown  # most of 1.5 s of a busy loop, even on a loaded machine
            metrics = monitor.metrics()
            assert metrics["cpu_renderer_pct"] and max(metrics["cpu_renderer_pct"]) > 0
            assert metrics["rss_renderer_peak_bytes"][0] > 0
            assert monitor.renderer_identified == "elimination"
            await page.close()
    finally:
        await driver.stop()
        await runner.cleanup()


@pytest.mark.parametrize("gpu", [False, True], ids=["software-flags", "nvidia-flags"])
def test_the_busy_process_is_the_one_told_by_elimination(gpu):
    asyncio.run(_busy_page_is_the_identified_renderer(gpu))
