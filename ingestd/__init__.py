"""ingestd: tracks who answered which directive, and when."""

__version__ = "0.1.0"
