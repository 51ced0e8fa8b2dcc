"""Standard output that may close under a sweep (`webdlbench run … | head`) without ending it.

A reader that goes away is no reason to stop measuring or to leave a run unfinished: once a write
finds the pipe closed, everything further is discarded (and the process's stdout is pointed at
/dev/null, so that the interpreter's own flush at exit does not fail either). The results are in
the store; the output was only progress.
"""
from __future__ import annotations

import errno
import io
import os


class PipeSafeStream(io.TextIOBase):
    """Wraps a text stream; writes after its reader has gone are dropped instead of raising."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self.stream.write(text)
            except OSError as exc:
                self._gone(exc)
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.stream.flush()
            except OSError as exc:
                self._gone(exc)

    def isatty(self) -> bool:
        return not self.reader_gone and self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")

    def _gone(self, exc: OSError) -> None:
        if exc.errno not in (errno.EPIPE, errno.EINVAL) and not isinstance(exc, BrokenPipeError):
            raise exc
        self.reader_gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # no file descriptor to redirect (a StringIO in tests)
            pass
