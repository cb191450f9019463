"""warta: licensed foreign-language news feeds in, a fast local-language news site out."""

__version__ = "0.1.0"
