"""Training hooks."""
__all__ = []
