"""Where a sync reads a roster from: a REST provider, a CSV zip bundle, or a bundle fetched over SFTP."""

from rosterlab.consumer.sources.base import Progress, Pull, Source
from rosterlab.consumer.sources.csv import CsvSource
from rosterlab.consumer.sources.rest import RestSource
from rosterlab.consumer.sources.sftp import SftpLocation, SftpSource

__all__ = ["CsvSource", "Progress", "Pull", "RestSource", "SftpLocation", "SftpSource", "Source"]
