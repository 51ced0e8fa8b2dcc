"""Stand-ins for the browser at the runner boundary (no processes): a runner whose replicates end as
a script says, for the sweep's and the skeleton's unit tests."""
import asyncio

from webdlbench.runners.skeleton import Failed, Prepared

# What a failed page looks like to the skeleton (no reply: the page died or hung).
PAGE_FAILURES = ("timeout", "browser_crashed")


class FakeDriver:
    def __init__(self, node: str, start_fails: bool = False):
        self.node, self.start_fails = node, start_fails
        self.broken = False
        self.stopped = False

    async def start(self):
        if self.start_fails:
            raise RuntimeError(f"{self.node}: no session")

    async def ensure_running(self):
        if self.broken:
            raise RuntimeError(f"{self.node}: node gone")

    async def stop(self):
        self.stopped = True

    def facts(self):
        return {"node": self.node}


class FakeRunner:
    """A browser runner whose n-th replicate ends as `behave(driver, spec, n)` says: "ok", "timeout",
    "browser_crashed", "check_failed" (the loss rises), "unsupported", or "error: <the page's words>"."""

    runtime = "browser"
    setup_allowance_s = 1.0

    def __init__(self, node, behave, start_fails=False):
        self.driver = FakeDriver(node, start_fails)
        self.behave = behave
        self.measured = []  # one entry per replicate run

    async def start(self):
        await self.driver.start()

    async def stop(self):
        await self.driver.stop()

    def host_facts(self):
        return self.driver.facts()

    def unsupported_reason(self, spec, kind):
        return ""

    async def prepare(self, spec, kind):
        return Prepared(job={}, reference=None)

    async def replicate(self, spec, prepared, index, limit_s):
        await asyncio.sleep(0.01)  # let the other workers run
        self.measured.append(spec)
        outcome = self.behave(self.driver, spec, len(self.measured))
        if outcome in PAGE_FAILURES:
            raise Failed(outcome, f"{outcome} on {self.driver.node}")
        reply = {"outcome": "ok", "error": "", "metrics": {"train_batch_ms": [1.0, 1.1]}, "info": {},
                 "environment": {"node": self.driver.node}, "losses": [2.0, 1.5, 1.0, 0.9],
                 "outputs": [], "warmup_output": [], "sampling": {}}
        if outcome == "check_failed":
            reply["losses"] = [1.0, 1.5, 2.0, 2.5]
        elif outcome.startswith("error"):
            reply.update(outcome="error", error=outcome.partition(": ")[2] or outcome, metrics={})
        elif outcome != "ok":
            reply.update(outcome=outcome, error=f"{outcome} here", metrics={})
        return reply

    async def profile(self, spec, prepared, limit_s):
        return {}

    def environment(self, reply):
        return {**reply["environment"]}
