"""The mock SIS: a OneRoster 1.1 and 1.2 provider."""
