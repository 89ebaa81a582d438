"""The PDF half of a build (Typst sources, then PDFs into the cache) on the second core, while
the HTML half writes the website on the first.

Both halves build from the same reading of the pages: Sphinx's environment and doctrees, which
the HTML build reads and saves before it writes anything. So the PDF half is forked before the
HTML build starts (with Sphinx and the extensions already imported), waits until the HTML build
has saved its environment (Sphinx's `write-started`), and from then on only reads what the HTML
build read. A page saved during the build is not read by the PDF half: it reads only what the
HTML half read, and the next build sees the change. Where there is no fork (Windows), the halves
run one after the other.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from guidepress.validators.errors import GuidepressError


class Alongside:
    """A job forked now and started by `start()`; `result()` waits for what it returned, or
    raises a GuidepressError with its message; `stop()` ends it if it has not been waited for."""

    def __init__(self, job: Callable[[], Any], error: type[GuidepressError]) -> None:
        self.job, self.error = job, error
        self.started = self.finished = False
        self.process: Any = None
        if sys.platform.startswith("linux"):  # fork is safe and cheap only there
            context = multiprocessing.get_context("fork")
            self.pipe, child = context.Pipe()
            # Not a daemon: the job compiles PDFs in processes of its own. It leads a process
            # group of its own, which `stop()` ends whole, and dies with this process.
            self.process = context.Process(target=_run_when_told, args=(child, job, os.getpid()))
            self.process.start()
            with contextlib.suppress(OSError):  # as the job does: whichever comes first
                os.setpgid(self.process.pid, self.process.pid)
            child.close()

    def start(self, *_: Any) -> None:
        """Let the job run (a Sphinx event handler: the HTML build has saved its environment)."""
        if self.process is not None and not self.started:
            self.started = True
            with contextlib.suppress(OSError):  # gone already: result() says so
                self.pipe.send(True)

    def result(self) -> Any:
        if self.process is None:
            return self.job()
        self.start()
        try:
            failed, value = self.pipe.recv()
        except EOFError:  # killed (out of memory, say) before it answered
            failed, value = True, "the PDF build ended without a word (out of memory?)"
        finally:
            self.finished = True
            self.process.join()
        if failed:
            raise self.error(value)
        return value

    def stop(self) -> None:
        """The HTML half failed: the job is not wanted, and must not read what is deleted next."""
        if self.process is None or self.finished:
            return
        self.finished = True
        if not self.started:
            with contextlib.suppress(OSError):  # told to end without running the job
                self.pipe.send(False)
                self.process.join(timeout=10)
        if self.process.exitcode is None:
            with contextlib.suppress(OSError):  # already ended
                os.killpg(self.process.pid, signal.SIGKILL)  # with the compilers it started
            self.process.kill()
        self.process.join()


def die_with_parent(parent: int) -> None:
    """This process is killed when its parent ends, however it ends (Linux's PR_SET_PDEATHSIG):
    no process of a build that was killed writes into the build folder after it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(1)


def _run_when_told(pipe: Connection, job: Callable[[], Any], parent: int) -> None:
    os.setpgid(0, 0)
    die_with_parent(parent)
    # Ctrl-C reaches the parent, which stops this group: no second report from here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if not pipe.recv():
            return
        try:
            pipe.send((False, job()))
        except GuidepressError as error:
            pipe.send((True, str(error)))
        except BaseException as error:  # noqa: BLE001  told to the parent, which reports it
            pipe.send((True, f"the PDF build stopped: {type(error).__name__}: {error}"))
    except (EOFError, OSError):  # the parent is gone
        pass
