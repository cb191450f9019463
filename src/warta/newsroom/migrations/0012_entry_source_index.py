# Entry.source loses its own index: the (source, guid) unique constraint's index starts with
# source_id, so it serves every look-up by source (the poll's dedup queries, a source's
# entries, the cascade on deleting a source; SQLite's foreign key checks and PostgreSQL's
# planner both use a leading column). The index cost every stored entry one more b-tree
# insert: about 15 % of SQLite's work storing a 20-item feed (docs/BENCHMARKS.md, Ingest).
#
# The index is dropped by name, not by AlterField: on SQLite AlterField rebuilds the whole
# entry table (fetched pages included) to drop one index. Django names it the same way on
# SQLite and PostgreSQL.

import django.db.models.deletion
from django.db import migrations, models

SOURCE_INDEX = "newsroom_entry_source_id_7cab44f4"


class Migration(migrations.Migration):

    dependencies = [
        ("newsroom", "0011_post_created"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="entry",
                    name="source",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="entries", to="newsroom.source"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {SOURCE_INDEX}",
                    f"CREATE INDEX {SOURCE_INDEX} ON newsroom_entry (source_id)",
                ),
            ],
        ),
    ]
