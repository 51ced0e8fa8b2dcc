"""A sweep whose store or output goes away under it (issue #18, items 5 and 11), measured for real
(native PyTorch, no browser needed): a read-only store is refused before anything is measured; a
disk that fills mid-run (a real full tmpfs where this machine lets the test mount one, and always
a real file-size limit set on the running harness) stops the sweep with exit 2, what was stored
kept and the way to resume said; a reader that closes stdout does not end the sweep."""
import os
import resource
import shutil
import sqlite3
import subprocess
from contextlib import closing

import pytest

from tests.faults.helpers import (NATIVE_SPECS, assert_refused, cli, count_results, start_cli, stored_once_each,
                                  wait_for_results, write_suite)
from webdlbench.store import Store


def finish(proc, timeout=300):
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def assert_resumes_to_every_spec_once(suite, store):
    resumed = cli("run", suite, "--store", store, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert stored_once_each(store) == [1] * NATIVE_SPECS
    with closing(sqlite3.connect(store)) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"


def test_a_read_only_store_is_refused_before_anything_is_measured(tmp_path):
    suite = write_suite(tmp_path)
    store = tmp_path / "s.sqlite"
    Store.open(store).close()
    if os.geteuid() == 0:
        os.chown(store, 65534, 65534)  # another user's file, in a folder this user may write
    store.chmod(0o444)
    before = store.read_bytes()
    done = cli("run", suite, "--store", store, unprivileged=True)
    assert_refused(done, f"cannot write the store {store}", "readonly", "writable")
    assert store.read_bytes() == before and count_results(store) == 0


def test_a_file_size_limit_mid_run_stops_the_sweep_and_resume_finishes_it(tmp_path):
    """RLIMIT_FSIZE set on the running harness: from then on every write to its files fails in the
    kernel (EFBIG), as on a full disk, whoever runs the test."""
    suite = write_suite(tmp_path)
    store = tmp_path / "s.sqlite"
    proc = start_cli("run", suite, "--store", store)
    try:
        wait_for_results(store, 1, proc)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (0, 0))
        done = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    line = assert_refused(done, f"cannot write the store {store}", "the sweep stopped with", "--resume")
    kept = count_results(store)
    assert 1 <= kept < NATIVE_SPECS and f"stopped with {kept} spec(s)" in line
    assert_resumes_to_every_spec_once(suite, store)


@pytest.fixture
def small_disk(tmp_path):
    """A real 48 MiB tmpfs, where this machine lets the test mount one (root with CAP_SYS_ADMIN)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() if mounted else 'no mount command'}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder):
    """Write zeros into folder until its disk is full; the file that fills it."""
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 2 ** 20)
                handle.flush()
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC: the disk is full
    return filler


def test_a_disk_that_fills_mid_run_stops_the_sweep_and_resume_finishes_it(tmp_path, small_disk):
    suite = write_suite(tmp_path)
    store = small_disk / "s.sqlite"
    proc = start_cli("run", suite, "--store", store)
    try:
        wait_for_results(store, 1, proc)
        filler = fill(small_disk)
        done = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_refused(done, f"cannot write the store {store}", "database or disk is full", "free space on its disk",
                   "--resume")
    assert 1 <= count_results(store) < NATIVE_SPECS
    filler.unlink()
    assert_resumes_to_every_spec_once(suite, store)


def test_a_reader_that_closes_stdout_does_not_end_the_sweep(tmp_path):
    """`webdlbench run … | head -c 60`."""
    suite = write_suite(tmp_path)
    store = tmp_path / "s.sqlite"
    proc = start_cli("run", suite, "--store", store)
    assert len(proc.stdout.read(60)) == 60
    proc.stdout.close()  # the reader goes away
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert stored_once_each(store) == [1] * NATIVE_SPECS
    with closing(sqlite3.connect(store)) as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"
