"""The newsroom's roles: Django groups and the permissions each holds.

- ``reviewer``: sees the pipeline, edits translations and approves, rejects or sends back;
- ``editor``: a reviewer who may also kill and correct published posts, manage sources and
  categories, and read the audit log;
- ``admin``: every permission (``warta user add --role admin`` also makes a superuser).

Every role is staff (may log in to ``/admin/``). :func:`sync_roles` is idempotent; the
``review_audit`` migration runs it and ``warta user add`` runs it again, so a permission
added here reaches existing groups.
"""

from __future__ import annotations

from typing import Any

ROLES = ("reviewer", "editor", "admin")

_VIEW_ALL = [f"newsroom.view_{m}" for m in (
    "source", "entry", "article", "translation", "translationrevision", "post", "category",
    "correction")]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "reviewer": [*_VIEW_ALL, "newsroom.change_translation", "newsroom.approve_translation"],
    "editor": [
        *_VIEW_ALL, "newsroom.change_translation", "newsroom.approve_translation",
        "newsroom.kill_post", "newsroom.change_post",
        "newsroom.add_source", "newsroom.change_source",
        "newsroom.add_category", "newsroom.change_category",
        "newsroom.view_translationmemory", "newsroom.view_auditevent",
        "newsroom.add_correction", "newsroom.view_correction",
        "newsroom.add_glossaryterm", "newsroom.change_glossaryterm",
        "newsroom.delete_glossaryterm", "newsroom.view_glossaryterm",
    ],
    "admin": ["*"],
}


def sync_roles(apps: Any = None, *, create_missing_permissions: bool = True) -> None:
    """Create the groups and give each exactly its permissions. ``apps`` is a migration's
    app registry (default: the live one). Raises LookupError for an unknown permission."""
    # a migration's registry may predate a model whose permissions a role lists (a later
    # migration adds it and syncs again): there, a missing permission is skipped
    missing_ok = apps is not None
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
                if perm is None and missing_ok:
                    continue
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


def set_up_totp(user: Any, *, reset: bool = False, actor: Any = None) -> Any:
    """Give ``user`` a confirmed TOTP device (django-otp) and return it; from then on the
    admin login asks for its code. An existing device is returned unchanged unless
    ``reset`` (a new secret: the old authenticator app entry stops working). Audit-logged
    as ``user.totp`` (never with the secret)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from warta.newsroom import audit

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is not None and not reset:
        return device
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="warta", confirmed=True)
    audit.record(actor, "user.totp", user, note="new TOTP device" if not reset
                 else "TOTP device replaced")
    return device


def remove_totp(user: Any, actor: Any = None) -> bool:
    """Turn two-factor off for ``user``. Returns False when there was no device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from warta.newsroom import audit

    n, _detail = TOTPDevice.objects.filter(user=user).delete()
    if n:
        audit.record(actor, "user.totp", user, note="TOTP removed")
    return bool(n)
