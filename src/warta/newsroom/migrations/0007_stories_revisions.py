# Issue 5 (ingest): stories (near-duplicate clusters), entry revisions, the normalised URL
# key, MinHash signatures and the per-source robots.txt setting. Kept linear on purpose.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("newsroom", "0006_newsroom_policies"),
    ]

    operations = [
        migrations.CreateModel(
            name='Story',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(blank=True, default='', max_length=1000)),
                ('created', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'stories',
                'ordering': ['-id'],
            },
        ),
        migrations.AddField(
            model_name='article',
            name='minhash',
            field=models.JSONField(blank=True, default=list, help_text='MinHash signature of the text (core.cluster)'),
        ),
        migrations.AddField(
            model_name='entry',
            name='content_hash',
            field=models.CharField(blank=True, default='', help_text="sha256 of the item's title, summary and body", max_length=64),
        ),
        migrations.AddField(
            model_name='entry',
            name='published_version',
            field=models.PositiveIntegerField(default=0, help_text='the revision the published post shows (0: none yet)'),
        ),
        migrations.AddField(
            model_name='entry',
            name='story_rank',
            field=models.SmallIntegerField(default=0, help_text="0: the story's chosen entry"),
        ),
        migrations.AddField(
            model_name='entry',
            name='url_key',
            field=models.CharField(blank=True, db_index=True, default='', help_text='sha256 of the normalised URL (core.urlnorm)', max_length=64),
        ),
        migrations.AddField(
            model_name='entry',
            name='version',
            field=models.PositiveIntegerField(default=1, help_text="revision of the item: +1 per changed content (or the wire's higher version)"),
        ),
        migrations.AddField(
            model_name='source',
            name='respect_robots',
            field=models.BooleanField(default=True, help_text="obey the site's robots.txt for article pages; turn off only where the licence lets warta fetch them regardless"),
        ),
        migrations.AddField(
            model_name='entry',
            name='story',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='entries', to='newsroom.story'),
        ),
        migrations.AddField(
            model_name='story',
            name='chosen',
            field=models.ForeignKey(blank=True, help_text='the entry an editor chose to publish (it stays rank 0 whoever joins the story)', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='newsroom.entry'),
        ),
    ]
