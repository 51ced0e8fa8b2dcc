"""Harness overhead: the same TF.js spec timed by a bare page (nothing attached: no harness, no
marks, no process monitor, no CDP) and by the full webdlbench pipeline, interleaved round by round
in one run on one browser build. Prints the ratio of medians (full / bare) per metric.

    .venv/bin/python benchmarks/harness_overhead.py [--rounds 5] [--backend cpu] [--depth 2 --width 128]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright

from webdlbench.browser import choose_flags, find_browser, has_nvidia_gpu
from webdlbench.runners.browser import BrowserRunner
from webdlbench.models import mlp, mnist
from webdlbench.paths import NODE_MODULES
from webdlbench.server import ISOLATION_HEADERS
from webdlbench.spec import Spec

HERE = Path(__file__).resolve().parent


async def bare_server(folder: Path, spec: Spec) -> web.AppRunner:
    """Static files only, with the same isolation headers (the same timer resolution)."""
    files = {
        "/": HERE / "bare_page.html",
        "/tf.min.js": NODE_MODULES / "@tensorflow/tfjs/dist/tf.min.js",
        "/images.f32": folder / "mnist-images.f32",
        "/labels.u8": folder / "mnist-labels.u8",
        "/weights.bin": folder / "bare-weights.bin",
    }
    (folder / "bare-weights.bin").write_bytes(mlp.weights_blob(mlp.make_weights(spec.depth, spec.width, spec.seed)))

    async def serve(request):
        response = web.FileResponse(files[request.path])
        response.headers.update(ISOLATION_HEADERS)
        if request.path.endswith(".js"):
            response.content_type = "text/javascript"
        return response

    app = web.Application()
    for path in files:
        app.router.add_get(path, serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 8765).start()
    return runner


async def bare_round(browser_path: str, spec: Spec) -> dict[str, list[float]]:
    out = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=browser_path, headless=True,
                                           args=choose_flags(has_nvidia_gpu()))
        for task, metric in (("train", "train_batch_ms"), ("infer", "infer_ms")):
            page = await browser.new_page()
            query = f"task={task}&backend={spec.backend}&depth={spec.depth}&width={spec.width}" \
                    f"&batch={spec.batch}&samples={spec.samples}&warmup={spec.warmup}"
            await page.goto(f"http://127.0.0.1:8765/?{query}")
            await page.wait_for_function("window.bare !== undefined", timeout=300_000)
            out[metric] = await page.evaluate("window.bare")
            await page.close()
        await browser.close()
    return out


async def full_round(session: BrowserRunner, spec: Spec) -> dict[str, list[float]]:
    out = {}
    for task, metric in (("train", "train_batch_ms"), ("infer", "infer_ms")):
        result = await session.measure(Spec.from_dict({**spec.to_dict(), "task": task,
                                                       "batch": spec.batch if task == "train" else 1}))
        assert result.outcome == "ok", result.error
        out[metric] = result.metrics[metric]
    return out


async def main(args) -> None:
    browser_path = find_browser()
    spec = Spec("tfjs", args.backend, "train", depth=args.depth, width=args.width, batch=64,
                samples=args.samples, warmup=3, replicates=1, max_replicates=1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mnist.write_data_files(folder)
        runner = await bare_server(folder, spec)
        session = BrowserRunner(browser_path, folder / "cache")
        await session.start()
        pooled = {"bare": {}, "full": {}}
        try:
            for round_number in range(args.rounds):  # interleaved: drift hits both sides alike
                for side, measure in (("bare", lambda: bare_round(browser_path, spec)), ("full", lambda: full_round(session, spec))):
                    for metric, values in (await measure()).items():
                        pooled[side].setdefault(metric, []).extend(values)
                print(f"round {round_number + 1}/{args.rounds} done")
        finally:
            await session.stop()
            await runner.cleanup()
    print(f"\nTF.js {args.backend}, MLP {args.depth}x{args.width}, {args.rounds} rounds x {args.samples} samples")
    print(f"{'metric':16} {'bare median':>12} {'full median':>12} {'full / bare':>12}")
    for metric in ("train_batch_ms", "infer_ms"):
        bare, full = statistics.median(pooled["bare"][metric]), statistics.median(pooled["full"][metric])
        print(f"{metric:16} {bare:12.3f} {full:12.3f} {full / bare:12.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--width", type=int, default=128)
    asyncio.run(main(parser.parse_args()))
