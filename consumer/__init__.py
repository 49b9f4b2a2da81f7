"""The sync engine: pulls a roster from any OneRoster provider into a local store."""
