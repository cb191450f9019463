"""The search index table (see warta.site.search): an FTS5 virtual table on SQLite, a table
with a weighted tsvector and a GIN index on PostgreSQL. Filled from the posts already
published, so an existing site can search at once."""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS site_public_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')"
)
POSTGRES_CREATE = [
    "CREATE TABLE IF NOT EXISTS site_public_search ("
    " post_id bigint PRIMARY KEY,"
    " title text NOT NULL,"
    " body text NOT NULL,"
    " document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS site_public_search_document "
    "ON site_public_search USING gin (document)",
]


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for sql in POSTGRES_CREATE:
            schema_editor.execute(sql)
    else:
        return
    # historical models: the live ones may have fields a later newsroom migration adds
    from warta.site.search import index_text, upsert_row

    Post = apps.get_model("newsroom", "Post")
    for post in Post.objects.filter(status="published").select_related("translation"):
        tr = post.translation
        upsert_row(post.pk, *index_text(tr.title, tr.dateline, tr.blocks))


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        schema_editor.execute("DROP TABLE IF EXISTS site_public_search")


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
