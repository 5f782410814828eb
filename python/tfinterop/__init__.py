"""tfinterop: prove that one exported SavedModel answers alike in every language."""

__version__ = "0.1.0"
