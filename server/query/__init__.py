"""Turning OneRoster query parameters into SQL."""
