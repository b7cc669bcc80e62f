from ingestd.rules.loader import load_rules, rules_fingerprint
from ingestd.rules.model import (
    Directive,
    MatchingPolicy,
    ReminderPolicy,
    ReminderRules,
    Report,
    Rulebook,
    Unit,
)

__all__ = ["Directive", "MatchingPolicy", "ReminderPolicy", "ReminderRules", "Report",
           "Rulebook", "Unit", "load_rules", "rules_fingerprint"]
