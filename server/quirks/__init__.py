"""Real-world provider behaviour on demand: quirk switches, named vendor-like profiles, and seeded faults."""
