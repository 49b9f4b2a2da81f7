"""The conformance checker for OneRoster endpoints and CSV bundles."""
