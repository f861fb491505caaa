"""Registered results, one module per paper (fungrim's formulas/*.py)."""
