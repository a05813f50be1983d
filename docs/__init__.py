"""The documents installed with zpgen as package data (``zpgen docs NAME`` prints them)."""
