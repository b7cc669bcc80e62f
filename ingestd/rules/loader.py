"""rules/*.toml -> Rulebook. Reports every problem at once, each with file:line and the fix.

Long because it is the whole rules contract in one reading: every file's keys, their types,
what they may refer to, and the Vietnamese message with its fix for each mistake."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingestd.errors import Problem, RulesError
from ingestd.read.refs import parse_number
from ingestd.rules.lifetimes import check_lifetimes
from ingestd.rules.model import (
    KINDS,
    PERIODS,
    CalendarRules,
    Directive,
    IgnoreRule,
    MatchingPolicy,
    ReminderOverride,
    ReminderPolicy,
    ReminderRules,
    Report,
    Rulebook,
    Scoring,
    SenderRule,
    Unit,
)
from ingestd.tomlfile import Table, TomlFile, display_path

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _did_you_mean(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    return f'có phải là "{close[0]}"?' if close else ""


def _no_line_breaks(t: Table, key: str) -> None:
    """Names and titles go into mail headers: a line break there would inject headers."""
    value = t.data.get(key)
    values = value if isinstance(value, list) else [value]
    if any(isinstance(v, str) and any(c in v for c in "\r\n\0") for v in values):
        t.problem(key, f"{key} có dấu xuống dòng", "viết trên một dòng")


class _Loader:
    def __init__(self, rules_dir: Path):
        self.dir = rules_dir
        self.files: list[TomlFile] = []
        self.extra: list[Problem] = []
        # A file that does not parse hides what it declares: references to its units or
        # reports are not reported as unknown (that would bury the one real error).
        self.units_known = True
        self.reports_known = True

    def open(self, path: Path, required: bool) -> TomlFile | None:
        if not path.exists():
            if required:
                self.extra.append(Problem(display_path(path), None, "thiếu tệp",
                                          f"tạo tệp này (xem README, mục Rules: {path.name})"))
            return None
        tf = TomlFile.load(path)
        self.files.append(tf)
        return tf if tf.data is not None else None

    # -- units --------------------------------------------------------------------------------
    def units(self) -> tuple[dict[str, Unit], dict[str, str]]:
        tf = self.open(self.dir / "units.toml", required=True)
        if tf is None:
            self.units_known = False
            return {}, {}
        top = Table(tf, (), tf.data or {}, {"groups", "unit"})
        groups: dict[str, str] = {}
        graw = top.get("groups", dict, {})
        for gid, gname in graw.items():
            if not isinstance(gname, str):
                tf.problem(("groups", gid), f'nhóm "{gid}" cần tên trong dấu nháy',
                           f'viết {gid} = "Tên nhóm"')
            elif not _SLUG.match(gid):
                tf.problem(("groups", gid), f'mã nhóm "{gid}" không hợp lệ',
                           "dùng chữ thường không dấu, số và dấu -")
            else:
                groups[gid] = gname
        units: dict[str, Unit] = {}
        tables: dict[str, Table] = {}
        for i, raw in enumerate(top.tables("unit")):
            t = Table(tf, ("unit", i), raw, {"id", "name", "aliases", "groups", "emails",
                                             "domains", "organ_id", "remind_to", "remind_cc",
                                             "signer_names", "former_names", "valid_from",
                                             "valid_until", "successor"})
            uid = t.get("id", str, required=True)
            if uid is None:
                continue
            if not _SLUG.match(uid):
                t.problem("id", f'mã đơn vị "{uid}" không hợp lệ',
                          "dùng chữ thường không dấu, số và dấu -, ví dụ so-khdt")
            if uid in units:
                t.problem("id", f'mã đơn vị "{uid}" bị dùng hai lần', "mỗi đơn vị cần một mã riêng")
            ugroups = t.str_list("groups")
            for g in ugroups:
                if g not in groups:
                    t.problem("groups", f'nhóm "{g}" của đơn vị "{uid}" chưa khai báo',
                              _did_you_mean(g, list(groups)) or "khai báo nhóm trong [groups]", g)
            emails = [e.strip().lower() for e in t.str_list("emails")]
            for e in emails:
                if not _EMAIL.match(e):
                    t.problem("emails", f'"{e}" không phải địa chỉ thư điện tử', value=e)
            organs = (t.str_list("organ_id") if isinstance(raw.get("organ_id"), list)
                      else [o for o in [t.get("organ_id", str)] if o])
            for key in ("remind_to", "remind_cc"):
                for e in t.str_list(key):
                    if not _EMAIL.match(e):
                        t.problem(key, f'"{e}" không phải địa chỉ thư điện tử', value=e)
            name = t.get("name", str, required=True) or uid
            for key in ("name", "aliases", "former_names", "emails", "remind_to", "remind_cc"):
                _no_line_breaks(t, key)
            units[uid] = Unit(
                id=uid, name=name, aliases=tuple(t.str_list("aliases")), groups=tuple(ugroups),
                emails=tuple(emails), domains=tuple(d.lower() for d in t.str_list("domains")),
                organ_ids=tuple(o.strip() for o in organs),
                remind_to=tuple(t.str_list("remind_to") or emails),
                remind_cc=tuple(t.str_list("remind_cc")),
                signer_names=tuple(t.str_list("signer_names")),
                former_names=tuple(t.str_list("former_names")),
                valid_from=t.get("valid_from", date), valid_until=t.get("valid_until", date),
                successor=t.get("successor", str))
            tables[uid] = t
        check_lifetimes(units, lambda uid, key, msg, hint: tables[uid].problem(key, msg, hint))
        return units, groups

    # -- directives ---------------------------------------------------------------------------
    def directives(self, units: dict[str, Unit], groups: dict[str, str]) -> tuple[Directive, ...]:
        ddir = self.dir / "directives"
        if not ddir.is_dir():
            self.extra.append(Problem(display_path(ddir), None, "thiếu thư mục",
                                      "tạo rules/directives/ với mỗi văn bản chỉ đạo một tệp .toml"))
            return ()
        out: list[Directive] = []
        report_ids: dict[str, str] = {}
        numbers: dict[str, str] = {}
        for path in sorted(ddir.glob("*.toml")):
            tf = self.open(path, required=True)
            if tf is None:
                self.reports_known = False
                continue
            top = Table(tf, (), tf.data or {}, {"directive", "report"})
            if not isinstance(tf.data.get("directive"), dict):  # type: ignore[union-attr]
                tf.problem((), "không có bảng [directive]", "bắt đầu tệp bằng [directive]")
                continue
            d = Table(tf, ("directive",), tf.data["directive"],  # type: ignore[index]
                      {"number", "date", "issuer", "title"})
            number = d.get("number", str, required=True) or ""
            doc = parse_number(number) if number else None
            if number and doc is None:
                d.problem("number", f'number = "{number}" không phải số, ký hiệu văn bản',
                          'viết như trên văn bản, ví dụ "760/UBND-TH", "09/2019/NĐ-CP" hoặc '
                          'số văn bản của Đảng "512-TB/TU"')
            ddate = d.get("date", date, required=True)
            if doc is not None:
                key = f"{doc.key}@{ddate}"
                if key in numbers:
                    d.problem("number", f'văn bản {number} ngày {ddate} đã có trong {numbers[key]}',
                              "mỗi văn bản chỉ đạo một tệp")
                numbers.setdefault(key, tf.display)
            reports = []
            for i, raw in enumerate(top.tables("report")):
                rep = self.report(tf, i, raw, number, units, groups, report_ids)
                if rep:
                    reports.append(rep)
            if not top.tables("report"):
                tf.problem(("directive",), f"văn bản {number} không yêu cầu báo cáo nào",
                           "thêm ít nhất một [[report]]")
            _no_line_breaks(d, "title")
            if doc is not None and ddate is not None:
                out.append(Directive(number, doc, ddate, d.get("issuer", str, "") or "",
                                     d.get("title", str, "") or "", tuple(reports), tf.display))
        return tuple(out)

    def report(self, tf: TomlFile, i: int, raw: dict[str, Any], number: str,
               units: dict[str, Unit], groups: dict[str, str],
               report_ids: dict[str, str]) -> Report | None:
        t = Table(tf, ("report", i), raw, {
            "id", "title", "kind", "units", "exclude", "due", "due_working_days", "every",
            "due_day", "due_month", "start", "keywords", "require_signature"})
        rid = t.get("id", str, required=True)
        if rid is None:
            return None
        if not _SLUG.match(rid):
            t.problem("id", f'mã báo cáo "{rid}" không hợp lệ', "dùng chữ thường không dấu, số và dấu -")
        if rid in report_ids:
            t.problem("id", f'mã báo cáo "{rid}" đã dùng trong {report_ids[rid]}',
                      "mã báo cáo phải khác nhau trong mọi văn bản")
        report_ids.setdefault(rid, tf.display)
        kind = t.choice("kind", KINDS, default="dot-xuat") or "dot-xuat"
        _no_line_breaks(t, "title")
        expected: list[str] = []
        for ref in t.str_list("units"):
            if ref.startswith("@"):
                g = ref[1:]
                if g not in groups:
                    if not self.units_known:
                        continue
                    t.problem("units", f'nhóm "{ref}" trong báo cáo "{rid}" chưa khai báo',
                              _did_you_mean(g, list(groups)) or "khai báo trong units.toml [groups]",
                              ref)
                    continue
                expected.extend(u.id for u in units.values() if g in u.groups)
            elif ref not in units:
                if not self.units_known:
                    continue
                hint = _did_you_mean(ref, list(units))
                t.problem("units", f'đơn vị "{ref}" trong báo cáo "{rid}" không có trong units.toml',
                          hint or "dùng mã đơn vị trong units.toml hoặc @nhóm", ref)
            else:
                expected.append(ref)
        if "units" not in raw:
            t.problem("id", f'báo cáo "{rid}" không nêu đơn vị nào',
                      'thêm units = ["@nhom", "ma-don-vi"]')
        exclude = t.str_list("exclude")
        for ex in exclude:
            if ex not in units and self.units_known:
                t.problem("exclude", f'đơn vị "{ex}" trong exclude không có trong units.toml',
                          _did_you_mean(ex, list(units)), ex)
        ordered = tuple(dict.fromkeys(u for u in expected if u not in exclude))

        due = raw.get("due")
        if due is not None and not isinstance(due, (date, datetime)):
            hint = "viết không có dấu nháy, ví dụ due = 2019-05-20"
            if isinstance(due, str) and not re.match(r"^\d{4}-\d{2}-\d{2}", due):
                hint = "viết ngày dạng 2019-05-20 (hoặc thời điểm 2019-05-20T17:00:00+07:00)"
            t.problem("due", f"due = {due!r} không phải ngày", hint)
            due = None
        if isinstance(due, datetime) and due.tzinfo is None:
            t.problem("due", "due có giờ nhưng thiếu múi giờ", "viết ví dụ 2019-05-20T17:00:00+07:00")
        dwd = t.get("due_working_days", int)
        every = t.choice("every", PERIODS)
        if kind == "dinh-ky" and every is None and "every" not in raw:
            t.problem("kind", f'báo cáo định kỳ "{rid}" thiếu every',
                      'thêm every = "month" | "quarter" | "half-year" | "year"')
        due_day = t.get("due_day", int)
        due_month = t.choice("due_month", ["last", "next"], default="last") or "last"
        start = t.get("start", date)
        if every:
            if due_day is None:
                t.problem("every", f'báo cáo định kỳ "{rid}" thiếu due_day',
                          "thêm due_day = 18 (ngày trong tháng phải gửi báo cáo)")
            elif not 1 <= due_day <= 31:
                t.problem("due_day", f"due_day = {due_day} không phải ngày trong tháng", "dùng 1..31")
            if start is None:
                t.problem("every", f'báo cáo định kỳ "{rid}" thiếu start',
                          "thêm start = 2019-01-01 (kỳ đầu tiên được tính)")
            if due is not None or dwd is not None:
                t.problem("due", f'báo cáo "{rid}" vừa định kỳ vừa có hạn cố định',
                          "giữ every/due_day hoặc due/due_working_days")
        elif due is None and dwd is None and "due" not in raw:
            t.problem("id", f'báo cáo "{rid}" không có hạn',
                      "thêm due = 2019-05-20, due_working_days = 5, hoặc every/due_day/start")
        elif due is not None and dwd is not None:
            t.problem("due_working_days", "ghi due hoặc due_working_days, không ghi cả hai")
        if dwd is not None and dwd < 0:
            t.problem("due_working_days", "due_working_days phải từ 0 trở lên")
        return Report(
            id=rid, directive=number, title=t.get("title", str, rid) or rid, kind=kind,
            units=ordered, due=due, due_working_days=dwd, every=every, due_day=due_day,
            due_month=due_month, start=start, keywords=tuple(t.str_list("keywords")),
            require_signature=t.get("require_signature", bool, False),
            file=tf.display)

    # -- policies -----------------------------------------------------------------------------
    def matching(self, units: dict[str, Unit]) -> MatchingPolicy:
        tf = self.open(self.dir / "matching.toml", required=False)
        if tf is None:
            return MatchingPolicy()
        top = Table(tf, (), tf.data or {}, {"policy", "sender", "ignore"})
        defaults = MatchingPolicy()
        personal = defaults.personal_domains
        single, ocr_min = True, defaults.ocr_min_confidence
        if "policy" in (tf.data or {}):
            p = Table(tf, ("policy",), tf.data["policy"],  # type: ignore[index]
                      {"personal_domains", "report_fallback_single", "ocr_min_confidence"})
            personal = tuple(d.lower() for d in p.str_list("personal_domains", list(personal)))
            single = p.get("report_fallback_single", bool, True)
            ocr_min = float(p.get("ocr_min_confidence", (int, float), ocr_min))  # type: ignore[arg-type]
            if not 0 <= ocr_min <= 100:
                p.problem("ocr_min_confidence", "ocr_min_confidence phải từ 0 đến 100")
        senders = []
        for i, raw in enumerate(top.tables("sender")):
            t = Table(tf, ("sender", i), raw, {"address", "domain", "unit"})
            unit = t.get("unit", str, required=True)
            if unit and unit not in units and self.units_known:
                t.problem("unit", f'đơn vị "{unit}" không có trong units.toml',
                          _did_you_mean(unit, list(units)))
            address, domain = t.get("address", str), t.get("domain", str)
            if not address and not domain:
                t.problem("unit", "[[sender]] cần address hoặc domain")
            if unit:
                senders.append(SenderRule(unit, address.lower() if address else None,
                                          domain.lower() if domain else None))
        ignores = []
        for i, raw in enumerate(top.tables("ignore")):
            t = Table(tf, ("ignore", i), raw, {"sender", "subject", "reason"})
            subject = t.get("subject", str)
            if subject:
                try:
                    re.compile(subject)
                except re.error as exc:
                    t.problem("subject", f"subject không phải biểu thức chính quy hợp lệ: {exc}")
                    subject = None
            ignores.append(IgnoreRule(t.get("sender", str), subject,
                                      t.get("reason", str, "ignored by matching.toml")))
        return MatchingPolicy(tuple(senders), tuple(ignores), personal, single, ocr_min)

    def reminders(self, units: dict[str, Unit], reports: set[str]) -> ReminderRules:
        tf = self.open(self.dir / "reminders.toml", required=False)
        if tf is None:
            return ReminderRules()
        top = Table(tf, (), tf.data or {}, {"defaults", "override", "off"})
        keys = set(ReminderPolicy.__dataclass_fields__)

        def policy_values(t: Table) -> dict[str, Any]:
            values: dict[str, Any] = {}
            for key in keys & set(t.data):
                if key in ("before_days", "after_days"):
                    lst = t.get(key, list, [])
                    if not all(isinstance(x, int) and x >= 0 for x in lst):
                        t.problem(key, f"{key} phải là danh sách số ngày làm việc",
                                  f"ví dụ {key} = [3, 1]")
                        continue
                    values[key] = tuple(lst)
                elif key == "send_at":
                    v = t.get(key, str, "08:00")
                    if not _TIME.match(v):
                        t.problem(key, f'send_at = "{v}" không phải giờ trong ngày', 'viết "08:00"')
                        continue
                    values[key] = v
                elif key == "enabled":
                    values[key] = t.get(key, bool, True)
                else:
                    v = t.get(key, int)
                    if v is not None and v < 0:
                        t.problem(key, f"{key} phải từ 0 trở lên")
                    elif v is not None:
                        values[key] = v
            return values

        defaults = ReminderPolicy()
        if "defaults" in (tf.data or {}):
            t = Table(tf, ("defaults",), tf.data["defaults"], keys)  # type: ignore[index]
            defaults = ReminderPolicy(**{**defaults.__dict__, **policy_values(t)})
        overrides = []
        for i, raw in enumerate(top.tables("override")):
            t = Table(tf, ("override", i), raw, keys | {"report", "unit"})
            rep, unit = self._ref(t, "report", reports), self._ref(t, "unit", set(units))
            if "report" not in raw and "unit" not in raw:
                t.problem("report", "[[override]] cần report hoặc unit (hoặc cả hai)")
            overrides.append(ReminderOverride(tuple(policy_values(t).items()), rep, unit))
        offs = []
        for i, raw in enumerate(top.tables("off")):
            t = Table(tf, ("off", i), raw, {"report", "unit", "reason"})
            rep, unit = self._ref(t, "report", reports), self._ref(t, "unit", set(units))
            if "report" not in raw and "unit" not in raw:
                t.problem("unit", "[[off]] cần unit hoặc report (hoặc cả hai)")
            elif rep or unit:
                offs.append((unit, rep))
        return ReminderRules(defaults, tuple(overrides), tuple(offs))

    def _ref(self, t: Table, key: str, known: set[str]) -> str | None:
        value = t.get(key, str)
        hidden = not self.units_known if key == "unit" else not self.reports_known
        if value is not None and value not in known and not hidden:
            t.problem(key, f'{key} "{value}" không có trong quy tắc', _did_you_mean(value, sorted(known)))
            return None
        return value

    def calendar(self) -> CalendarRules:
        tf = self.open(self.dir / "calendar.toml", required=False)
        if tf is None:
            return CalendarRules()
        t = Table(tf, (), tf.data or {}, {"days_off", "working_days"})
        out: dict[str, frozenset[date]] = {}
        for key in ("days_off", "working_days"):
            days = []
            for v in t.get(key, list, []):
                if isinstance(v, date) and not isinstance(v, datetime):
                    days.append(v)
                else:
                    t.problem(key, f"{key} có {v!r}, không phải ngày",
                              "viết ngày không có dấu nháy: [2019-09-03]")
            out[key] = frozenset(days)
        both = out["days_off"] & out["working_days"]
        if both:
            t.problem("working_days", f"{sorted(both)[0]} vừa là ngày nghỉ vừa là ngày làm việc")
        return CalendarRules(out["days_off"], out["working_days"])

    def scoring(self) -> Scoring:
        tf = self.open(self.dir / "scoring.toml", required=False)
        if tf is None:
            return Scoring()
        fields = set(Scoring.__dataclass_fields__)
        t = Table(tf, (), tf.data or {}, fields)
        values = {k: float(t.get(k, (int, float), getattr(Scoring(), k)))  # type: ignore[arg-type]
                  for k in fields}
        return Scoring(**values)


def rules_fingerprint(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What the rules folder holds, cheaply: each .toml's name, size and modification time."""
    out = []
    for path in sorted(rules_dir.rglob("*.toml")):
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path.relative_to(rules_dir)), st.st_size, st.st_mtime_ns))
    return tuple(out)


def load_rules(rules_dir: Path) -> Rulebook:
    """Load and validate every rules file. Raises ``RulesError`` listing all problems."""
    loader = _Loader(rules_dir)
    units, groups = loader.units()
    directives = loader.directives(units, groups)
    report_ids = {r.id for d in directives for r in d.reports}
    book = Rulebook(units=units, groups=groups, directives=directives,
                    matching=loader.matching(units),
                    reminders=loader.reminders(units, report_ids),
                    calendar=loader.calendar(), scoring=loader.scoring(),
                    rules_dir=str(rules_dir))
    problems = loader.extra + [p for tf in loader.files for p in tf.problems]
    if problems:
        raise RulesError(problems)
    return book
