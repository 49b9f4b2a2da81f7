"""Authentication of the mock SIS: OAuth 1.0a request signing and OAuth 2.0 bearer tokens, by spec."""
