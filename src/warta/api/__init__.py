"""The read API under /api/: published stories, categories and sources as JSON, described
by an OpenAPI 3.1 document at /api/schema/ (``schema.py``). Read-only and public: it shows
exactly what the site shows, nothing of the newsroom's internals."""
