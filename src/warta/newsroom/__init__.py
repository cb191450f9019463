"""Django app: what warta stores (sources, entries, articles, translations, posts) and the
stages that move an entry from feed to published post."""
