"""Reader processes that live for many messages: the pool that runs ``read_and_match``.

Each reader is forked once, inherits the parsers already imported and the rules of the pass,
and reads messages one after another under its own ``RLIMIT_AS`` (what it may add to what it
inherited) with each attachment on an interval timer (``read.guard``). The pool watches from
outside what a reader cannot catch itself:

* a reader that dies (a parser crashed or aborted) or overruns the message deadline is killed
  and replaced; its message is read again at once in *careful* mode, every attachment in a
  child of its own, so the part that kills a reader costs only itself; a careful reading that
  still dies is a ``Fault`` (retried later, quarantined after three);
* a reader retires itself after ``RECYCLE_AFTER`` messages, after a parser was interrupted, or
  when its resident memory has grown by ``GROWTH_MB``, so memory stays flat over any backlog.

Readers are forked (not spawned) so they start in milliseconds with the parsers imported, and
they ask Linux to kill them when the thread that forked them ends (PR_SET_PDEATHSIG): a
``kill -9`` of the daemon or of ``import`` leaves no reader behind. (A forkserver would
avoid forking a threaded daemon, but the server and its readers outlive the daemon's kill -9.)
Readers never log, take locks or touch the database: they get a job on a pipe and answer on it.
"""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from ingestd.logs import get_logger
from ingestd.pipeline.stages import Context, Job, read_and_match
from ingestd.read import guard
from ingestd.read.sandbox import die_with_parent, limit_added_memory, memory_bytes
from ingestd.store.ids import rid
from ingestd.store.repo import Fault, Outcome

log = get_logger("ingestd.readers")
RECYCLE_AFTER = 100             # messages per reader before a fresh one takes over
GROWTH_MB = 64                  # a reader whose resident memory grew more than this retires
GRACE_SECONDS = 15.0            # on top of [reading] message_seconds before a reader is killed
AHEAD = 2                       # jobs sent to a reader at once: it never waits for the daemon
READER_DIED = "the reader process died"
_FORK = mp.get_context("fork")


def _reader_main(conn: Connection, ctx: Context, recycle_after: int) -> None:
    """A reader: jobs in, results out, until told to stop or time to retire."""
    die_with_parent()
    gc.freeze()                     # the collector never writes to what the reader inherited,
                                    # so those pages stay shared with the daemon (copy-on-write)
    faulthandler.disable()          # a parser that aborts is reported by the pool, once
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_added_memory(ctx.limits.worker_memory_mb, final=False)   # careful children: their own
    growth = min(GROWTH_MB, ctx.limits.worker_memory_mb // 2) * 1024 * 1024
    start_rss = memory_bytes()[1]
    try:
        for done in range(1, recycle_after + 1):
            job = conn.recv()
            if job is None:
                break
            result = read_and_match(job, ctx)
            retiring = (done == recycle_after or guard.interrupted()
                        or memory_bytes()[1] - start_rss > growth)
            conn.send((result, retiring))
            if retiring:
                break
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        os._exit(0)


@dataclass
class _Reader:
    proc: Any
    conn: Connection
    jobs: deque[Job] = field(default_factory=deque)    # sent, in order; the first is being read
    started: float = 0.0                                # when the first began


class ReaderPool:
    """``size`` reader processes; ``submit`` jobs, ``collect`` results as they finish."""

    def __init__(self, size: int, ctx: Context, recycle_after: int = RECYCLE_AFTER,
                 grace: float = GRACE_SECONDS):
        self.size = max(1, size)
        self.ctx = ctx
        self.recycle_after = recycle_after
        self.deadline = ctx.limits.message_seconds + grace
        self.readers: list[_Reader] = []
        self.queue: deque[Job] = deque()
        self.started_readers = 0

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def outstanding(self) -> int:
        return len(self.queue) + sum(len(r.jobs) for r in self.readers)

    def submit(self, jobs: list[Job]) -> None:
        self.queue.extend(jobs)
        self._dispatch()

    def drop_queued(self) -> None:
        """Forget the jobs not yet given to a reader (on stop: their leases lapse)."""
        self.queue.clear()

    def collect(self, timeout: float) -> list[Outcome | Fault]:
        """Results that finish within ``timeout`` seconds (at least one if any is running and
        finishes in time); overdue readers are killed and their messages re-read carefully."""
        busy = [r for r in self.readers if r.jobs]
        if not busy:
            self._dispatch()
            return []
        now = time.monotonic()
        wait_for = min(timeout, max(0.0, min(r.started + self.deadline for r in busy) - now))
        ready = set(wait([r.conn for r in busy], wait_for))
        results: list[Outcome | Fault] = []
        for r in busy:
            if r.conn in ready:
                self._receive(r, results)
            elif time.monotonic() - r.started > self.deadline:
                self._lost(r, f"reading took longer than {self.deadline:g} s: reader stopped",
                           results)
        self._dispatch()
        return results

    def close(self) -> None:
        for r in list(self.readers):
            try:
                r.conn.send(None)               # after what it has: it stops at once if idle
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for r in list(self.readers):
            if not r.jobs:
                r.proc.join(max(0.0, deadline - time.monotonic()))
            self._kill(r)
        self.queue.clear()

    # -- internals ----------------------------------------------------------------------------
    def _spawn(self) -> _Reader:
        parent, child = _FORK.Pipe(duplex=True)
        proc = _FORK.Process(target=_reader_main, args=(child, self.ctx, self.recycle_after),
                             name="ingestd-reader")   # not daemonic: careful mode forks
        proc.start()
        child.close()
        reader = _Reader(proc, parent)
        self.readers.append(reader)
        self.started_readers += 1
        return reader

    def _dispatch(self) -> None:
        while self.queue:
            idle = [r for r in self.readers if not r.jobs]
            open_ = [r for r in self.readers if len(r.jobs) < AHEAD]
            if idle:
                reader = idle[0]
            elif len(self.readers) < self.size:
                reader = self._spawn()
            elif open_:
                reader = min(open_, key=lambda r: len(r.jobs))
            else:
                return
            job = self.queue.popleft()
            try:
                reader.conn.send(job)
            except OSError:                     # it died while idle: replace it
                self.queue.appendleft(job)
                self._requeue_and_kill(reader)
                continue
            if not reader.jobs:
                reader.started = time.monotonic()
            reader.jobs.append(job)

    def _receive(self, reader: _Reader, results: list[Outcome | Fault]) -> None:
        try:
            result, retiring = reader.conn.recv()
        except (EOFError, OSError):
            self._lost(reader, READER_DIED, results)
            return
        results.append(result)
        reader.jobs.popleft()
        reader.started = time.monotonic()
        if retiring:
            self._requeue_and_kill(reader, graceful=True)

    def _requeue_and_kill(self, reader: _Reader, graceful: bool = False) -> None:
        """Jobs sent to a reader that will not read them go back to the front of the queue."""
        self.queue.extendleft(reversed(reader.jobs))
        reader.jobs.clear()
        if graceful:
            reader.proc.join(2)                 # it is exiting by itself
        self._kill(reader)

    def _lost(self, reader: _Reader, why: str, results: list[Outcome | Fault]) -> None:
        """A reader died or overran with ``reader.job``: re-read it carefully, or give up."""
        job = reader.jobs.popleft()
        self._requeue_and_kill(reader)
        if not job.careful:
            log.warning("reader lost a message; reading it again with each attachment apart",
                        receipt=rid(job.receipt_id), reason=why)
            self.queue.appendleft(replace(job, careful=True))
        else:
            results.append(Fault(job.receipt_id, "reader", why))

    def _kill(self, reader: _Reader) -> None:
        if reader.proc.is_alive():
            reader.proc.kill()
        reader.proc.join(5)
        reader.conn.close()
        if reader in self.readers:
            self.readers.remove(reader)
