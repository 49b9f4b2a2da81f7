"""`python -m rosterlab` runs the command line."""

from rosterlab.cli import main

main()
