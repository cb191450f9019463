# Issue 7 (newsroom): per-source licence policies, scheduled approval, corrections and
# Post.updated_at. Kept linear on purpose; the user model is reachable through 0004's
# dependency on auth.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def sync_roles(apps, schema_editor):
    """Give the roles the permissions of the models added here (Correction)."""
    from warta.newsroom.roles import sync_roles as sync

    sync(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("newsroom", "0005_extract_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name='post',
            name='updated_at',
            field=models.DateTimeField(blank=True, help_text='when the published story was last revised or corrected (shown as "Diperbarui")', null=True),
        ),
        migrations.AddField(
            model_name='source',
            name='canonical_policy',
            field=models.CharField(choices=[('self', 'this site'), ('original', 'the original article')], default='self', help_text="where the article page's rel=canonical points, as the licence asks", max_length=16),
        ),
        migrations.AddField(
            model_name='source',
            name='credit_line',
            field=models.CharField(blank=True, default='', help_text='credit the licence requires under each story, e.g. "© Reuters, used under licence"', max_length=300),
        ),
        migrations.AddField(
            model_name='source',
            name='expire_after_days',
            field=models.PositiveIntegerField(blank=True, help_text='licence expiry: withdraw (410) a story this many days after it was published; empty = keep', null=True),
        ),
        migrations.AddField(
            model_name='source',
            name='noindex',
            field=models.BooleanField(default=False, help_text="ask search engines not to index this source's stories (robots noindex) when the licence says so"),
        ),
        migrations.AddField(
            model_name='source',
            name='priority',
            field=models.SmallIntegerField(default=0, help_text="higher first: raises the source's stories in the review queue (one point is one hour of waiting)"),
        ),
        migrations.AddField(
            model_name='translation',
            name='publish_at',
            field=models.DateTimeField(blank=True, db_index=True, help_text='approved for publication at this time', null=True),
        ),
        migrations.AddField(
            model_name='translation',
            name='scheduled_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='Correction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.TextField()),
                ('created', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('post', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='newsroom.post')),
            ],
            options={
                'ordering': ['created', 'id'],
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
