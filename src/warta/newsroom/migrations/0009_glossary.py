# Issue 3: editors' glossary terms (GlossaryTerm), merged over the bundled glossary.

import django.utils.timezone
from django.db import migrations, models


def sync_roles(apps, schema_editor):
    """Give the roles the permissions of GlossaryTerm (editors manage the glossary)."""
    from warta.newsroom.roles import sync_roles as sync

    sync(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("newsroom", "0008_site_tags_views"),
    ]

    operations = [
        migrations.CreateModel(
            name="GlossaryTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("source_language", models.CharField(default="en", max_length=16)),
                ("target_language", models.CharField(default="id", max_length=16)),
                ("source", models.CharField(max_length=300)),
                ("target", models.CharField(blank=True, default="",
                                            help_text="Empty = keep the source term as written.",
                                            max_length=300)),
                ("note", models.TextField(blank=True, default="")),
                ("case_sensitive", models.BooleanField(
                    default=False,
                    help_text="Match only as written (terms in capitals always are).")),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["source_language", "target_language", "source"],
                "constraints": [models.UniqueConstraint(
                    fields=("source_language", "target_language", "source"),
                    name="glossary_term_unique_per_pair")],
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
