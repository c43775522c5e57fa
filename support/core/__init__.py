"""Shared core: paths, runtime, figures, claims, cache, progress, profiles."""
