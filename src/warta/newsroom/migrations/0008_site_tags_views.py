# Issue 6 (public site): tags on posts, and the daily view counter behind "most read".

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("newsroom", "0007_stories_revisions"),
    ]

    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(max_length=100, unique=True)),
                ("name", models.CharField(max_length=100)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="post",
            name="tags",
            field=models.ManyToManyField(blank=True, related_name="posts", to="newsroom.tag"),
        ),
        migrations.CreateModel(
            name="PostView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("views", models.PositiveIntegerField(default=0)),
                ("post", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="daily_views", to="newsroom.post")),
            ],
            options={
                "indexes": [models.Index(fields=["day"], name="postview_day_idx")],
                "constraints": [models.UniqueConstraint(fields=("post", "day"), name="postview_unique_day")],
            },
        ),
    ]
