"""The sync engine's web console (`rosterlab ui`): connections, syncs, uploads, history, held deletions."""

from rosterlab.consumer.console.app import create_console

__all__ = ["create_console"]
