"""Bundled sample sources for ``warta demo`` and end-to-end tests: feeds, pages, a server."""
