"""What the two web consoles share: their stylesheet."""

from importlib.resources import files

STATIC_FOLDER = str(files(__name__) / "static")
