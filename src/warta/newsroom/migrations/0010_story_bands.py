# LSH band keys for near-duplicate look-ups by index (core.cluster.band_keys), filled for
# the articles already stored.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def fill_bands(apps, schema_editor):  # type: ignore[no-untyped-def]
    from warta.core import cluster

    Article = apps.get_model("newsroom", "Article")
    StoryBand = apps.get_model("newsroom", "StoryBand")
    rows = Article.objects.exclude(minhash=[]).values_list("entry_id", "minhash", "created")
    batch = []
    for entry_id, sig, created in rows.iterator():
        batch.extend(StoryBand(key=k, entry_id=entry_id, created=created)
                     for k in cluster.band_keys(sig or []))
        if len(batch) >= 5000:
            StoryBand.objects.bulk_create(batch)
            batch = []
    StoryBand.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("newsroom", "0009_glossary"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoryBand",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("key", models.BigIntegerField()),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                ("entry", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                            related_name="story_bands", to="newsroom.entry")),
            ],
            options={
                "indexes": [models.Index(fields=["key", "created"],
                                         name="storyband_key_created")],
            },
        ),
        migrations.RunPython(fill_bands, migrations.RunPython.noop),
    ]
