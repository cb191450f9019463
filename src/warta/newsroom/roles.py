"""The newsroom's roles: Django groups and the permissions each holds.

- ``reviewer``: sees the pipeline, edits translations and approves, rejects or sends back;
- ``editor``: a reviewer who may also kill published posts, manage sources and categories
  and read the audit log;
- ``admin``: every permission (``warta user add --role admin`` also makes a superuser).

Every role is staff (may log in to ``/admin/``). :func:`sync_roles` is idempotent; the
``review_audit`` migration runs it and ``warta user add`` runs it again, so a permission
added here reaches existing groups.
"""

from __future__ import annotations

from typing import Any

ROLES = ("reviewer", "editor", "admin")

_VIEW_ALL = [f"newsroom.view_{m}" for m in (
    "source", "entry", "article", "translation", "translationrevision", "post", "category")]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "reviewer": [*_VIEW_ALL, "newsroom.change_translation", "newsroom.approve_translation"],
    "editor": [
        *_VIEW_ALL, "newsroom.change_translation", "newsroom.approve_translation",
        "newsroom.kill_post", "newsroom.change_post",
        "newsroom.add_source", "newsroom.change_source",
        "newsroom.add_category", "newsroom.change_category",
        "newsroom.view_translationmemory", "newsroom.view_auditevent",
    ],
    "admin": ["*"],
}


def sync_roles(apps: Any = None, *, create_missing_permissions: bool = True) -> None:
    """Create the groups and give each exactly its permissions. ``apps`` is a migration's
    app registry (default: the live one). Raises LookupError for an unknown permission."""
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    if create_missing_permissions:
        _create_permissions(apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        if wanted == ["*"]:
            perms = list(permission_model.objects.all())
        else:
            perms = []
            for dotted in wanted:
                app_label, codename = dotted.split(".", 1)
                perm = permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename).first()
                if perm is None:
                    raise LookupError(f"role {role}: no permission {dotted}")
                perms.append(perm)
        group.permissions.set(perms)


def _create_permissions(apps: Any) -> None:
    """Permissions are normally created after ``migrate`` (post_migrate); a migration that
    hands them out must create them first."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        had = getattr(app_config, "models_module", None)
        app_config.models_module = had or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = had


def user_roles(user: Any) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def assign_role(user: Any, role: str, actor: Any = None) -> None:
    """Put ``user`` in exactly one role's group (staff; superuser only for admin), and
    write it to the audit log (``user.role``; ``actor`` None is the command line)."""
    from django.contrib.auth.models import Group

    from warta.newsroom import audit

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    sync_roles(create_missing_permissions=False)
    before = {"roles": user_roles(user), "is_staff": user.is_staff,
              "is_superuser": user.is_superuser}
    user.is_staff = True
    user.is_superuser = role == "admin"
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get(name=role))
    audit.record(actor, "user.role", user, before=before,
                 after={"roles": [role], "is_staff": True, "is_superuser": role == "admin"})
