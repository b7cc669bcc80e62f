"""Drafting a directive's rules from the directive itself: its header block, its recipients,
each requirement to report and its deadline. Pure functions over text (``text.py`` reads the
files); every value found keeps the words it came from, so the draft can quote them."""
