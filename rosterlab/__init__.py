"""rosterlab: a OneRoster 1.1 and 1.2 toolkit (mock SIS, sync engine, conformance checker)."""

__version__ = "0.1.0"
