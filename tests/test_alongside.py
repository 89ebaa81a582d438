"""The PDF half of a build runs in a forked process beside the HTML half (guidepress.alongside):
it starts only when told, its failure reaches the build, and a build that fails first stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guidepress.alongside import Alongside
from guidepress.build import BuildError


def test_the_job_runs_only_once_started_and_its_result_comes_back(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    def job() -> list[str]:
        marker.write_text(str(os.getpid()))
        return ["a-v1.0.pdf"]

    alongside = Alongside(job, BuildError)
    assert not marker.exists()  # forked, waiting
    alongside.start()
    assert alongside.result() == ["a-v1.0.pdf"]
    assert int(marker.read_text()) != os.getpid()  # on the other core, not here


def test_a_failed_job_fails_the_build_with_its_message() -> None:
    def job() -> None:
        raise BuildError("docs/guidelines/a.md: the PDF could not be compiled")

    with pytest.raises(BuildError, match=r"a\.md: the PDF could not be compiled"):
        Alongside(job, BuildError).result()


def test_a_job_that_crashes_or_dies_is_a_clear_failure() -> None:
    def crash() -> None:
        raise KeyError("surprise")

    with pytest.raises(BuildError, match="the PDF build stopped: KeyError"):
        Alongside(crash, BuildError).result()

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(BuildError, match="ended without a word"):
        Alongside(die, BuildError).result()


def test_stopped_before_it_started_the_job_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    alongside = Alongside(lambda: marker.write_text("ran"), BuildError)
    alongside.stop()
    assert alongside.process.exitcode == 0
    assert not marker.exists()


def test_stopped_while_running_the_job_ends_at_once(tmp_path: Path) -> None:
    started = tmp_path / "started"

    def job() -> None:
        started.write_text("yes")
        signal.pause()  # as a long build would

    alongside = Alongside(job, BuildError)
    alongside.start()
    deadline = time.monotonic() + 30
    while not started.exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    alongside.stop()
    assert alongside.process.exitcode == -signal.SIGKILL


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status  # ended, waiting to be reaped by whoever adopted it


def test_no_process_of_a_killed_build_lives_on(tmp_path: Path) -> None:
    # The build is killed while its PDF half compiles (here: a job that waits, with a worker of
    # its own, as the PDF compilers are): neither may go on writing into the build folder.
    pids = tmp_path / "pids"
    script = f"""
import os, signal, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from guidepress.alongside import Alongside, die_with_parent
from guidepress.build import BuildError

def worker():
    Path({str(pids)!r}).open("a").write(f"{{os.getpid()}}\\n")
    signal.pause()

def job():
    with ProcessPoolExecutor(1, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        Path({str(pids)!r}).open("a").write(f"{{os.getpid()}}\\n")
        pool.submit(worker).result()

alongside = Alongside(job, BuildError)
alongside.start()
while not Path({str(pids)!r}).exists() or len(Path({str(pids)!r}).read_text().split()) < 2:
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)
"""
    subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    started = [int(pid) for pid in pids.read_text().split()]
    assert len(started) == 2
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in started):
        assert time.monotonic() < deadline, started
        time.sleep(0.05)
