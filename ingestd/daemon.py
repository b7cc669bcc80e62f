"""`ingestd run`: the long-running service. Schedules polling, processing, reminders, the
digest and the quarterly report with APScheduler in the configured time zone.

Signals: SIGTERM/SIGINT finish the current message, commit and exit 0; SIGHUP reloads config
and rules atomically (a broken file keeps the old ones, logs the error and puts it in the next
digest). A heartbeat logs an error for any source without a successful poll for
``heartbeat_minutes`` (silent stalls are the classic failure of mail fetchers).
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingestd import sdnotify
from ingestd.config import Settings, load_settings
from ingestd.daemon_health import source_health
from ingestd.errors import IngestdError
from ingestd.guarded import guarded
from ingestd.logs import get_logger
from ingestd.pipeline import process_pending
from ingestd.rules import load_rules, rules_fingerprint
from ingestd.services import Services, open_services
from ingestd.sources.base import Source
from ingestd.sources.imap import ImapWatcher, poll_account
from ingestd.sources.imap_config import ImapAccount
from ingestd.sources.intake import store_incoming
from ingestd.sources.kinds import build_sources, sink_for, source_keys
from ingestd.statusview import Ledger
from ingestd.store.drafts_repo import OutgoingStore
from ingestd.store.repo import Store

log = get_logger("ingestd.daemon")


@dataclass
class CycleReport:
    stored: int = 0
    errors: list[str] = field(default_factory=list)
    processed: int = 0
    reminders: int = 0
    acks: int = 0
    digest: bool = False
    quarterly: str | None = None
    ledger: Ledger | None = None       # the cycle's statuses, for whoever prints them


RESTART_KEYS = ("database_url", "store_dir")     # the open store keeps the ones it started with


class Daemon:
    def __init__(self, settings: Settings):
        self.svc = open_services(settings)
        self.stop = threading.Event()
        self._process_lock = threading.Lock()
        self._draft_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._watchers: dict[str, tuple[ImapAccount, threading.Thread, threading.Event]] = {}
        self._watching = False          # run_forever keeps one watcher per IMAP account
        self._rules_seen = rules_fingerprint(settings.rules_dir)

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.svc.close()

    @property
    def settings(self) -> Settings:
        return self.svc.settings

    # -- jobs ---------------------------------------------------------------------------------
    def sources(self) -> list[tuple[Source, Store | OutgoingStore]]:
        """The local sources in force (Maildirs, gateway folders) and where each stores what it
        yields (an outgoing folder: drafts, never receipts): built from the settings of the
        moment, so a reload (SIGHUP) that adds one is polled at the next pass."""
        return build_sources(self.settings, self.svc.store)

    def poll_local(self, with_imap: bool = False) -> tuple[int, list[str]]:
        """Poll Maildirs, gateway folders (and IMAP once, when asked)."""
        stored, errors = 0, []
        for source, sink in self.sources():
            stored += self._guard(source.key, lambda s=source, k=sink: store_incoming(
                k, s).new, errors)  # type: ignore[arg-type]
        if with_imap:
            for a in self.settings.imap:
                stored += self._guard(f"imap:{a.name}", lambda a=a: len(poll_account(
                    a, sink_for(a, self.svc.store))), errors)  # type: ignore[arg-type]
        return stored, errors

    def _guard(self, key: str, fn, errors: list[str]) -> int:  # type: ignore[no-untyped-def]
        """Run one source's poll; a failure is logged and listed (intake has recorded it on
        the source), and the other sources are still polled."""
        return int(guarded("source", fn, 0, lambda m: errors.append(f"{key}: {m}"), source=key))

    def poll_and_process(self) -> tuple[int, list[str], int]:
        """One pass over every source (IMAP included) while what is stored is read and matched
        beside it (``fetch``, ``run --once``): storing waits on the network and the disk,
        reading on the CPU of the readers, so the two overlap."""
        storing_done = threading.Event()
        processed = [0]

        def work() -> None:
            while True:
                last = storing_done.is_set()
                processed[0] += self.process()
                if last:
                    return
                storing_done.wait(0.2)

        thread = threading.Thread(target=work, name="process-while-polling", daemon=True)
        thread.start()
        try:
            stored, errors = self.poll_local(with_imap=True)
        finally:
            storing_done.set()
            thread.join()
        self.draft_outgoing()
        return stored, errors, processed[0]

    def process(self) -> int:
        if not self._process_lock.acquire(blocking=False):
            return 0
        try:
            return guarded("processing", lambda: process_pending(self.svc, self.stop).processed, 0)
        finally:
            self._process_lock.release()

    def draft_outgoing(self) -> int:
        """Draft what the outgoing folders gave (OCR of a scan takes seconds: this runs beside
        the processing of receipts, never holding it up)."""
        if not self.settings.has_outgoing or not self._draft_lock.acquire(blocking=False):
            return 0
        from ingestd.drafting.outgoing import draft_pending  # only where outgoing folders are

        try:
            return guarded("drafting", lambda: draft_pending(self.svc.store, self.svc.rules,
                                                             self.settings.limits), 0)
        finally:
            self._draft_lock.release()

    def watch_rules(self) -> bool:
        """Reload when a rules file changed (an admin saved a draft from the console, edited a
        file): no SIGHUP needed. A broken change keeps the rules in force (see ``reload``)."""
        now = rules_fingerprint(self.settings.rules_dir)
        if now == self._rules_seen:
            return False
        self._rules_seen = now
        return self.reload()

    def notify_jobs(self, at: datetime, report: CycleReport, force_digest: bool = False) -> None:
        from ingestd.notify.acks import run_acknowledgements
        from ingestd.notify.jobs import run_digest, run_quarterly, run_reminders
        svc = self.svc
        ledger = report.ledger = Ledger(svc, at)    # computed once, for every job of this cycle
        report.acks = self._job("acknowledgements",
                                lambda: run_acknowledgements(svc, at, ledger=ledger), 0)
        report.reminders = self._job("reminders", lambda: run_reminders(svc, at, ledger=ledger), 0)
        report.digest = self._job("digest", lambda: run_digest(svc, at, force_digest,
                                                               ledger=ledger), False)
        report.quarterly = self._job("quarterly", lambda: run_quarterly(svc, at, ledger=ledger),
                                     None)

    def _job(self, name: str, fn, default):  # type: ignore[no-untyped-def]
        """A job's fault (a full outbox_dir, the database down, a template error) is logged
        and put in the next digest; the other jobs still run."""
        return guarded("job", fn, default,
                       lambda m: self.svc.store.health.add_event("job_failed", f"{name}: {m}"), job=name)

    def heartbeat(self) -> list[str]:
        return guarded("heartbeat", self._heartbeat, [])

    def _heartbeat(self) -> list[str]:
        stale = [s for s in source_health(self.svc) if s["stale"]]
        for s in stale:
            log.error("source has had no successful poll", source=s["source"],
                      last_ok=s["last_ok"], minutes=self.settings.heartbeat_minutes,
                      last_error=s["last_error"])
        return [s["source"] for s in stale]

    def reload(self) -> bool:
        """Reload config and rules (SIGHUP); on any problem keep what runs and say why.

        Takes effect at once: rules, calendar, [reading], [office], notifications, workers,
        the time zone, Maildirs and gateway folders (built for every poll), IMAP accounts
        (watchers started, stopped or restarted). Needs a restart: RESTART_KEYS, said in the
        log when they changed."""
        with self._reload_lock:
            try:
                settings = load_settings(self.settings.config_path)
                rules = load_rules(settings.rules_dir)
            except IngestdError as exc:
                log.error("reload failed: keeping the rules in force", error=str(exc))
                self.svc.store.health.add_event("rules_reload_failed", str(exc))
                return False
            old = self.svc
            pending = [k for k in RESTART_KEYS if getattr(settings, k) != getattr(old.settings, k)]
            if pending:
                log.warning("changed settings take effect after a restart "
                            "(systemctl restart ingestd)", keys=pending)
            self.svc = Services(settings, rules, type(old.calendar)(settings.timezone,
                                                                      rules.calendar), old.store)
            if self._watching:
                self.sync_watchers()
            log.info("config and rules reloaded", units=len(rules.units),
                     directives=len(rules.directives), sources=source_keys(settings))
            return True

    # -- entry points -------------------------------------------------------------------------
    def run_once(self, at: datetime) -> CycleReport:
        report = CycleReport()
        report.stored, report.errors, report.processed = self.poll_and_process()
        self.notify_jobs(at, report, force_digest=True)
        return report

    def run_forever(self) -> int:
        from apscheduler.schedulers.background import BackgroundScheduler  # not for --once

        tz = self.settings.timezone
        sched = BackgroundScheduler(timezone=tz, job_defaults={"coalesce": True,
                                                               "max_instances": 1,
                                                               "misfire_grace_time": 300})
        def local_and_process() -> None:
            stored, _ = self.poll_local()
            if stored:
                self.process()

        sched.add_job(local_and_process, "interval", seconds=15, id="poll-local",
                      next_run_time=datetime.now(tz))
        sched.add_job(self.process, "interval", seconds=30, id="process")
        sched.add_job(self.watch_rules, "interval", seconds=10, id="watch-rules")
        sched.add_job(self.draft_outgoing, "interval", seconds=60, id="draft-outgoing")
        # the time zone of the moment (a reload may change it), not the one at start
        sched.add_job(lambda: self.notify_jobs(datetime.now(self.settings.timezone),
                                               CycleReport()), "interval",
                      minutes=5, id="notify", next_run_time=datetime.now(tz) + timedelta(seconds=20))
        wd = sdnotify.watchdog_seconds()
        sched.add_job(self.heartbeat, "interval", seconds=min(60, wd / 2) if wd else 60,
                      id="heartbeat")
        reload_wanted = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        signal.signal(signal.SIGHUP, lambda *_: reload_wanted.set())
        sched.start()
        self._watching = True
        self.sync_watchers()
        sdnotify.notify("READY=1\nSTATUS=running")
        log.info("ingestd running", sources=source_keys(self.settings))
        # The watchdog is fed from this loop, which touches no database: a PostgreSQL outage
        # that the daemon is meant to ride out must not make systemd kill it.
        fed = 0.0
        while not self.stop.is_set():
            if wd and time.monotonic() - fed >= wd / 2:
                sdnotify.notify("WATCHDOG=1")
                fed = time.monotonic()
            if reload_wanted.wait(min(1.0, wd / 4) if wd else 1.0):
                reload_wanted.clear()
                self.reload()
        sdnotify.notify("STOPPING=1")
        log.info("stopping: finishing the current message")
        sched.shutdown(wait=True)
        self._watching = False
        self.sync_watchers(stopping=True)
        if self._process_lock.acquire(timeout=60):   # a kicked batch finishes its message
            self._process_lock.release()
        self.svc.close()
        log.info("stopped")
        return 0

    def sync_watchers(self, stopping: bool = False) -> None:
        """One IMAP watcher per configured account: a reload that adds, removes or changes an
        account starts, stops or restarts its watcher; the others keep their connection."""
        wanted = {} if stopping else {a.name: a for a in self.settings.imap}
        for name, (account, thread, stop) in list(self._watchers.items()):
            if wanted.get(name) != account:
                stop.set()
                thread.join(timeout=15)
                del self._watchers[name]
                if not stopping:
                    log.info("IMAP account stopped after reload", account=name)
        for name, account in wanted.items():
            if name not in self._watchers:
                stop = threading.Event()
                watcher = ImapWatcher(account, sink_for(account, self.svc.store),  # type: ignore[arg-type]
                                      self._kick, stop)
                thread = threading.Thread(target=watcher.run, name=f"imap-{name}", daemon=True)
                self._watchers[name] = (account, thread, stop)
                thread.start()

    def _kick(self) -> None:
        threading.Thread(target=self.process, name="process-kick", daemon=True).start()
