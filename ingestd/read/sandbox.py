"""Run a parser in a child process that can be killed: bounded wall time and memory.

pdfminer can loop or recurse on crafted files and decompression can exhaust memory; a child
with ``RLIMIT_AS`` and a deadline keeps the daemon alive. The child is forked (cheap on Linux)
and sends back its result through a pipe.
"""

from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import resource
import signal
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies: a reader must not outlive a
    ``kill -9`` of the import or daemon that started it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):       # not Linux: the pipe's EOF still ends it
        return


class SandboxTimeout(Exception):
    pass


class SandboxCrash(Exception):
    pass


def memory_bytes() -> tuple[int, int]:
    """This process's (virtual size -- what RLIMIT_AS counts --, resident size); zeros when
    /proc cannot tell."""
    try:
        with open("/proc/self/statm") as fh:
            size, resident = fh.read().split()[:2]
        page = os.sysconf("SC_PAGE_SIZE")
        return int(size) * page, int(resident) * page
    except (OSError, ValueError):
        return 0, 0


def limit_added_memory(memory_mb: int, final: bool) -> None:
    """Cap this process's address space at what it maps now plus ``memory_mb``. The allowance
    is on top of what it already maps (a forked copy of its parent, which may map a lot:
    numpy's thread arenas, the test runner): a limit on the total would starve a reader forked
    from a large process and spare one forked from a small. ``final``: its children cannot
    raise it either (a sandbox child); else they may set their own (a reader's careful mode)."""
    limit = memory_bytes()[0] + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and limit > hard:
        limit = hard
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit if final else hard))


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], memory_mb: int) -> None:
    try:
        die_with_parent()
        faulthandler.disable()          # a parser that aborts is reported by the parent, once
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        limit_added_memory(memory_mb, final=True)
        conn.send(("ok", fn(*args)))
    except MemoryError:
        conn.send(("error", "hết bộ nhớ (vượt giới hạn của tiến trình đọc)"))
    except RecursionError:
        conn.send(("error", "cấu trúc lồng nhau quá sâu"))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a reason
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:500] or traceback.format_exc(1)))
    finally:
        conn.close()
        os._exit(0)


def run_limited(fn: Callable[..., T], args: tuple[Any, ...], seconds: float, memory_mb: int) -> T:
    """Call ``fn(*args)`` in a forked child; raise SandboxTimeout / SandboxCrash on failure."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args, memory_mb), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(seconds):
            raise SandboxTimeout(f"quá {seconds:g} giây")
        try:
            status, value = parent.recv()
        except (EOFError, OSError):
            raise SandboxCrash("tiến trình đọc bị dừng (hết bộ nhớ hoặc lỗi)") from None
        if status == "error":
            raise SandboxCrash(value)
        return value
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
