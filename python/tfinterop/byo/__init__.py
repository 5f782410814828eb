"""Bring your own SavedModel: record goldens for any model, verify it everywhere, diagnose it."""
