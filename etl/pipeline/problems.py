"""The exception a converter raises for a cell it cannot store (its own module so the
definition loader and the locale rules can use it without importing the converters)."""


class Problem(ValueError):
    """Why one cell's value cannot be stored."""
