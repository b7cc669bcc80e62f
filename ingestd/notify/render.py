"""Jinja2 templates for everything people read. Packaged templates can be overridden by files
of the same name in ``rules/templates/``."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from ingestd.config import OfficeSettings
from ingestd.read.vntext import nfc
from ingestd.vocabulary import EVENT_VI, STATE_VI, date_vi, day_vi, period_vi


def environment(rules_dir: Path | None = None, office: OfficeSettings | None = None) -> Environment:
    """Templates: a province's own under ``rules/templates/`` first, then the packaged ones.
    ``office`` (config ``[office]``) is there for every template as ``office``."""
    loaders = []
    if rules_dir and (rules_dir / "templates").is_dir():
        loaders.append(FileSystemLoader(str(rules_dir / "templates")))
    loaders.append(PackageLoader("ingestd.notify", "templates"))
    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,
                      autoescape=lambda name: bool(name and name.endswith(".html")),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(period_vi=period_vi, date_vi=date_vi, day_vi=day_vi)
    env.filters.update(state_vi=lambda s: STATE_VI.get(s, s), event_vi=lambda k: EVENT_VI.get(k, k))
    env.globals["office"] = office or OfficeSettings()
    return env


def render(env: Environment, name: str, **context: object) -> str:
    return nfc(env.get_template(name).render(**context))
