"""What warta stores. Status fields make every stage idempotent and resumable.

An entry moves new → fetched → extracted → translated → published (or in_review,
duplicate, failed, killed). Each stage claims the entry with a lease (``lease_until``), does
its work, stores the result and advances the status in one transaction. A process killed
mid-stage leaves only an expired lease behind: the next run reclaims and finishes the entry.
``Post.entry`` is unique, so an entry can never be published twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


def validate_source_url(value: str) -> None:
    """A source is an http(s) feed URL or a drop folder ``dir:///absolute/path``."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    if value.startswith("dir://"):
        if not value.startswith("dir:///"):
            raise ValidationError("a drop folder is dir:///absolute/path")
        return
    URLValidator(schemes=["http", "https"])(value)


def validate_extract_rules(value: object) -> None:
    """Source.extract_rules must build an ExtractRules (known keys, valid CSS selectors)."""
    from django.core.exceptions import ValidationError

    from warta.core.errors import ConfigError
    from warta.core.extract_rules import ExtractRules

    if not isinstance(value, dict):
        raise ValidationError("extraction rules are a JSON object")
    try:
        ExtractRules.from_dict(value)
    except (ConfigError, TypeError) as e:
        raise ValidationError(str(e)) from e


class Source(models.Model):
    FORMATS = [("auto", "auto"), ("rss", "RSS"), ("atom", "Atom"), ("json", "JSON Feed"),
               ("ninjs", "ninjs (IPTC JSON)"), ("newsml", "NewsML-G2 / NITF"),
               ("sitemap", "Google News sitemap")]

    name = models.CharField(max_length=200)
    url = models.CharField(max_length=2000, unique=True, validators=[validate_source_url],
                           help_text="http(s) feed URL, or dir:///path for a drop folder")
    format = models.CharField(max_length=16, choices=FORMATS, default="auto")
    language = models.CharField(max_length=16, default="en")
    category = models.CharField(max_length=100, blank=True, default="")
    auto_publish = models.BooleanField(default=True)
    attribution = models.CharField(max_length=500, blank=True, default="")
    enabled = models.BooleanField(default=True)
    poll_interval = models.PositiveIntegerField(default=900, help_text="seconds")
    min_interval = models.PositiveIntegerField(
        default=60, help_text="seconds; never poll more often, whatever the server says")
    max_interval = models.PositiveIntegerField(
        default=6 * 3600, help_text="seconds; never wait longer, even after many errors")
    disabled_reason = models.TextField(blank=True, default="",
                                       help_text="why warta disabled the source (410 Gone)")
    next_poll_reason = models.CharField(max_length=300, blank=True, default="")
    folder_seen = models.JSONField(default=dict, blank=True,
                                   help_text="drop folder: file name → mtime:size read")
    extract_rules = models.JSONField(
        default=dict, blank=True, validators=[validate_extract_rules],
        help_text="CSS selectors for when generic extraction fails on this site, e.g. "
                  '{"body_selector": "div.story", "remove_selectors": [".promo"], '
                  '"caption_selector": ".credit-caption", "title_selector": "h1"}')

    etag = models.CharField(max_length=500, blank=True, default="")
    last_modified = models.CharField(max_length=100, blank=True, default="")
    content_digest = models.CharField(
        max_length=64, blank=True, default="",
        help_text="sha256 of the format and the body of the last feed document stored: "
                  "the same bytes again are not parsed (a server without validators)")
    item_digests = models.JSONField(
        default=list, blank=True,
        help_text="a digest of each item of the last feed document stored: in a changed "
                  "document, those items are not read again")
    last_fetched = models.DateTimeField(null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    next_poll = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    # licence policy (docs/newsroom.md "Per-source policies")
    priority = models.SmallIntegerField(
        default=0, help_text="higher first: raises the source's stories in the review queue "
                             "(one point is one hour of waiting)")
    canonical_policy = models.CharField(
        max_length=16, choices=[("self", "this site"), ("original", "the original article")],
        default="self", help_text="where the article page's rel=canonical points, as the "
                                  "licence asks")
    noindex = models.BooleanField(
        default=False, help_text="ask search engines not to index this source's stories "
                                 "(robots noindex) when the licence says so")
    expire_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="licence expiry: withdraw (410) a story this many days "
                                         "after it was published; empty = keep")
    credit_line = models.CharField(
        max_length=300, blank=True, default="",
        help_text="credit the licence requires under each story, e.g. \"© Reuters, used under "
                  "licence\"")
    # ingest (docs/ingest.md "Fetching safely")
    respect_robots = models.BooleanField(
        default=True, help_text="obey the site's robots.txt for article pages; turn off only "
                                "where the licence lets warta fetch them regardless")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Story(models.Model):
    """Entries from different sources that report the same story (near-duplicate text,
    MinHash LSH): only the best of them (``story_rank`` 0) is translated and published."""

    title = models.CharField(max_length=1000, blank=True, default="")
    chosen = models.ForeignKey("Entry", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", help_text="the entry an editor chose to "
                               "publish (it stays rank 0 whoever joins the story)")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title or f"story {self.pk}"


class StoryBand(models.Model):
    """One LSH band key of an article's MinHash signature (``core.cluster.band_keys``): a new
    article's near-duplicates are found with one indexed look-up of its keys instead of
    loading every recent signature. Rewritten when the article's text changes."""

    key = models.BigIntegerField()
    entry = models.ForeignKey("Entry", on_delete=models.CASCADE, related_name="story_bands")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "created"], name="storyband_key_created")]


class Entry(models.Model):
    class Status(models.TextChoices):
        NEW = "new"
        FETCHED = "fetched"
        EXTRACTED = "extracted"
        DUPLICATE = "duplicate"
        TRANSLATED = "translated"
        IN_REVIEW = "in_review"
        PUBLISHED = "published"
        KILLED = "killed"
        FAILED = "failed"
        REJECTED = "rejected"  # an editor decided not to publish it (terminal)

    # no index of its own: the (source, guid) unique constraint's index starts with
    # source_id and serves every look-up by source (one index less per stored entry)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="entries",
                               db_index=False)
    guid = models.CharField(max_length=1000)
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=1000, blank=True, default="")
    summary = models.TextField(blank=True, default="")
    content = models.TextField(blank=True, default="", help_text="full body from the feed, if any")
    image = models.JSONField(null=True, blank=True)
    categories = models.JSONField(default=list, blank=True)
    published = models.DateTimeField(null=True, blank=True)
    embargo = models.DateTimeField(null=True, blank=True,
                                   help_text="not processed (nor published) before this time")
    html = models.TextField(blank=True, default="", help_text="the fetched article page")
    final_url = models.URLField(max_length=2000, blank=True, default="")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")
    error_count = models.PositiveIntegerField(default=0)
    last_error_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    # one story once (docs/ingest.md "Duplicates" and "Updates")
    url_key = models.CharField(max_length=64, blank=True, default="", db_index=True,
                               help_text="sha256 of the normalised URL (core.urlnorm)")
    story = models.ForeignKey(Story, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="entries")
    story_rank = models.SmallIntegerField(default=0, help_text="0: the story's chosen entry")
    version = models.PositiveIntegerField(default=1, help_text="revision of the item: +1 per "
                                          "changed content (or the wire's higher version)")
    content_hash = models.CharField(max_length=64, blank=True, default="",
                                    help_text="sha256 of the item's title, summary and body")
    published_version = models.PositiveIntegerField(
        default=0, help_text="the revision the published post shows (0: none yet)")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="entry_unique_guid"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="entry_work_idx")]

    def __str__(self) -> str:
        return self.title or self.url


class Article(models.Model):
    """The extracted story in its source language (DESIGN.md's article JSON)."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="article")
    language = models.CharField(max_length=16, default="en")
    url = models.URLField(max_length=2000)
    canonical_url = models.URLField(max_length=2000, blank=True, default="")
    title = models.CharField(max_length=1000)
    byline = models.CharField(max_length=500, blank=True, default="")
    published = models.DateTimeField(null=True, blank=True)
    dateline = models.CharField(max_length=200, blank=True, default="")
    image = models.JSONField(null=True, blank=True)
    blocks = models.JSONField(default=list)
    syndication_note = models.TextField(blank=True, default="")
    text_hash = models.CharField(max_length=64, db_index=True)
    minhash = models.JSONField(default=list, blank=True,
                               help_text="MinHash signature of the text (core.cluster)")
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title


class Translation(models.Model):
    class Status(models.TextChoices):
        DONE = "done"
        UNTRANSLATED = "untranslated"  # demo policy: published visibly awaiting translation

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=16)
    title = models.CharField(max_length=1000)
    dateline = models.CharField(max_length=200, blank=True, default="")
    image = models.JSONField(null=True, blank=True)
    blocks = models.JSONField(default=list)
    engine = models.CharField(max_length=50)
    model_id = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    flags = models.JSONField(
        default=list, blank=True,
        help_text="why an editor must look: [{flag, where, detail}] (placeholder_lost, "
                  "number_mismatch, link_dropped); a flagged translation is never "
                  "published automatically")
    created = models.DateTimeField(default=timezone.now)
    # editorial state: an edited block carries "edited": true and "machine" (the engine's
    # text it replaced), so a later re-translation never silently overwrites it
    edited_fields = models.JSONField(default=list, blank=True,
                                     help_text="units outside the blocks an editor changed: "
                                               "title, dateline, caption")
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    edited_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="optimistic lock: +1 per save")
    # scheduled approval: the entry stays in review (no Post exists) until this time, then
    # the periodic step (newsroom.policies.publish_due) publishes it
    publish_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                      help_text="approved for publication at this time")
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="translation_unique_lang"),
        ]
        permissions = [("approve_translation",
                        "Can approve, reject or send back a translation in review")]

    def __str__(self) -> str:
        return self.title


class TranslationMemory(models.Model):
    """Segment-level translation memory (``core.translate.memory``): the engine's output for
    one exact input, so it is never sent twice. ``key`` covers engine, model, language pair,
    glossary version and the normalised input; texts keep their placeholders."""

    key = models.CharField(max_length=64, unique=True)
    source_language = models.CharField(max_length=16)
    target_language = models.CharField(max_length=16)
    source_text = models.TextField()
    target_text = models.TextField()
    engine = models.CharField(max_length=50)
    model_id = models.CharField(max_length=200, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "translation memory segment"

    def __str__(self) -> str:
        return self.source_text[:80]


class GlossaryTerm(models.Model):
    """A fixed rendering editors keep (``core.translate.glossary``): ``source`` is always
    translated as ``target``; an empty ``target`` keeps the source term as written (names,
    agencies, brands). Merged over the bundled glossary, the database winning."""

    source_language = models.CharField(max_length=16, default="en")
    target_language = models.CharField(max_length=16, default="id")
    source = models.CharField(max_length=300)
    target = models.CharField(max_length=300, blank=True, default="",
                              help_text="Empty = keep the source term as written.")
    note = models.TextField(blank=True, default="")
    case_sensitive = models.BooleanField(
        default=False, help_text="Match only as written (terms in capitals always are).")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source_language", "target_language", "source"]
        constraints = [models.UniqueConstraint(
            fields=["source_language", "target_language", "source"],
            name="glossary_term_unique_per_pair")]

    def __str__(self) -> str:
        return f"{self.source} → {self.target or '(keep)'}"


class Category(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("category", kwargs={"slug": self.slug})


class Post(models.Model):
    """A published story. One per entry, ever (unique ``entry``)."""

    class Status(models.TextChoices):
        PUBLISHED = "published"
        KILLED = "killed"

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="post")
    translation = models.OneToOneField(Translation, on_delete=models.PROTECT, related_name="post")
    slug = models.SlugField(max_length=200, unique=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    published_at = models.DateTimeField(db_index=True)
    tags = models.ManyToManyField("Tag", blank=True, related_name="posts")
    source_name = models.CharField(max_length=200)
    original_url = models.URLField(max_length=2000)
    attribution = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    killed_at = models.DateTimeField(null=True, blank=True)
    kill_reason = models.TextField(blank=True, default="",
                                   help_text="why the post was withdrawn (editors' record)")
    updated_at = models.DateTimeField(null=True, blank=True,
                                      help_text="when the published story was last revised or "
                                                "corrected (shown as \"Diperbarui\")")
    # published_at is the story's own date (the source's, never later than publication);
    # created is when warta published it: fetch-to-publish latency, "new on the site"
    created = models.DateTimeField(default=timezone.now, editable=False,
                                   help_text="when warta published it")

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [("kill_post", "Can kill (withdraw) a published post")]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("article", kwargs={"slug": self.slug})


class Correction(models.Model):
    """A correction note under a published story (what was wrong, what is right). Notes
    are added, never edited away: readers see every one, oldest first."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="corrections")
    note = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.note[:60]}"


class Tag(models.Model):
    """A topic a post is filed under (from its feed's categories; ``warta.site.tags``)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tag", kwargs={"slug": self.slug})


class PostView(models.Model):
    """Article views of one day (the site's time zone), for "most read": one row per post
    and day, incremented by a single UPDATE per view (``warta.site.views.count_view``)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "day"], name="postview_unique_day")]
        indexes = [models.Index(fields=["day"], name="postview_day_idx")]

    def __str__(self) -> str:
        return f"{self.post_id} {self.day}: {self.views}"


class TranslationRevision(models.Model):
    """One saved version of a translation (the machine's first, then each edit or
    restore), so any version can be compared and brought back."""

    translation = models.ForeignKey(Translation, on_delete=models.CASCADE,
                                    related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=1000)
    dateline = models.CharField(max_length=200, blank=True, default="")
    image = models.JSONField(null=True, blank=True)
    blocks = models.JSONField(default=list)
    note = models.CharField(max_length=200, blank=True, default="",
                            help_text="machine, edit, restore of #n, re-translation")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["translation", "-number"]
        constraints = [models.UniqueConstraint(fields=["translation", "number"],
                                               name="revision_unique_number")]

    def __str__(self) -> str:
        return f"{self.translation_id} #{self.number}"


class AuditEvent(models.Model):
    """Who did what to which object, when, with the object's state before and after.
    Written once, never changed (the admin shows it read-only)."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True, default="",
                                  help_text="kept when the account is deleted")
    action = models.CharField(max_length=50, db_index=True)
    object_type = models.CharField(max_length=100, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=300, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
