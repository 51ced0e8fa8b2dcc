"""TensorFlow's per-op times for the operators pass natively (native/ops_profile.py): one prediction
under TensorFlow's own profiler (tf.profiler.experimental.start/stop), whose trace TensorFlow writes
as an XSpace protobuf (`*.xplane.pb`), read here with TensorFlow's own xplane_pb2.

On the host plane every TensorFlow op kernel is an event named `<node name>:<op type>` on the line
of the thread that ran it; a function-call op (the tf.function's PartitionedCall) holds its ops on
the same line, so each op gets its self time: its duration less that of the ops nested inside it.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

HOST_PLANE = "/host:CPU"
# `<node name>:<op type>`: a node's name holds no spaces; an op type is a CamelCase word.
OP_EVENT = re.compile(r"^(?P<node>[^\s:]+):(?P<op>[A-Z_][A-Za-z0-9_]*)$")


def op_kernels(space) -> list[dict]:
    """An XSpace's TensorFlow op events, in execution order: {name: op type, node, ms: self time}."""
    found = []
    for plane in space.planes:
        if plane.name != HOST_PLANE:
            continue
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            ops = []
            for event in line.events:
                match = OP_EVENT.match(names.get(event.metadata_id, ""))
                if match:
                    start = line.timestamp_ns * 1000 + event.offset_ps
                    ops.append([start, start + event.duration_ps, match["op"], match["node"], event.duration_ps])
            ops.sort(key=lambda op: (op[0], -op[1]))
            _subtract_nested(ops)
            found += ops
    found.sort(key=lambda op: op[0])
    return [{"name": op, "node": node, "ms": self_ps / 1e9} for _, _, op, node, self_ps in found]


def _subtract_nested(ops: list[list]) -> None:
    """Ops sorted by start (outer first): each op's self time loses its direct children's durations."""
    open_ops: list[list] = []
    for op in ops:
        while open_ops and open_ops[-1][1] <= op[0]:
            open_ops.pop()
        if open_ops and op[1] <= open_ops[-1][1]:
            open_ops[-1][4] -= op[1] - op[0]
        open_ops.append(op)


def profile_prediction(tf, predict) -> list[dict]:
    """`predict()` once under TensorFlow's profiler: its op kernels (op_kernels)."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory(prefix="webdlbench-tf-profile-") as logdir:
        options = tf.profiler.experimental.ProfilerOptions(host_tracer_level=3, python_tracer_level=0,
                                                           device_tracer_level=1)
        tf.profiler.experimental.start(logdir, options=options)
        try:
            predict()
        finally:
            tf.profiler.experimental.stop()
        traces = sorted(Path(logdir).rglob("*.xplane.pb"))
        if not traces:
            raise RuntimeError(f"TensorFlow's profiler wrote no .xplane.pb under {logdir}")
        space = xplane_pb2.XSpace()
        space.ParseFromString(traces[-1].read_bytes())
    return op_kernels(space)
