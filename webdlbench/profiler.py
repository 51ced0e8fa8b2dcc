"""The call-stack profiling pass (paper §4.4, finding 7): a CDP CPU profile of the measured loop.

It runs in a separate page load after the measured ones, so that no measured sample carries the
profiler's overhead. The page waits at its 'measure' mark until the driver has started the
profiler, and the profile is stopped at 'done', so it covers the training/inference loop only.
"""
from __future__ import annotations

# 200 µs: fine enough to catch short deep calls (the value probed on these machines).
SAMPLING_INTERVAL_US = 200
# Pseudo-frames V8 adds at the top of the tree; they are not calls of the page's code.
PSEUDO_FRAMES = {"(root)", "(program)", "(idle)", "(garbage collector)"}


def max_stack_depth(profile: dict) -> tuple[int, int]:
    """(deepest sampled stack in frames, number of samples) of a CDP Profiler.Profile."""
    nodes = {node["id"]: node for node in profile.get("nodes", [])}
    parent = {child: node_id for node_id, node in nodes.items() for child in node.get("children", [])}

    def depth(node_id: int) -> int:
        frames = 0
        while node_id in nodes:
            if nodes[node_id]["callFrame"]["functionName"] not in PSEUDO_FRAMES:
                frames += 1
            node_id = parent.get(node_id, -1)
        return frames

    sampled = set(profile.get("samples", []))
    return max((depth(n) for n in sampled), default=0), len(profile.get("samples", []))
