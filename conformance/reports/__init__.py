"""Reports of a check run: a console table, JSON, JUnit XML and a self-contained HTML page."""
