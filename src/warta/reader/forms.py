"""The subscribe and preferences forms. Messages are English msgids, Indonesian in
``reader/locale``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from warta.newsroom.models import Category
from warta.reader.models import Frequency

# line breaks, other control characters and Unicode line/paragraph separators: a name that
# could end a mail header and start another is refused, not cleaned
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def frequency_choices() -> list[tuple[str, Any]]:
    return [
        (Frequency.INSTANT, _("As it happens")),
        (Frequency.DAILY, _("Daily digest")),
        (Frequency.WEEKLY, _("Weekly digest")),
    ]


class PreferencesForm(forms.Form):
    name = forms.CharField(label=_("Name (optional)"), max_length=100, required=False,
                           strip=False)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"), queryset=Category.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose none to get every category."))
    frequency = forms.ChoiceField(label=_("How often"), choices=frequency_choices,
                                  initial=Frequency.DAILY, widget=forms.RadioSelect)

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "")
        if _CONTROL.search(name):
            raise ValidationError(_("The name may not contain line breaks or control "
                                    "characters."), code="control")
        return name.strip()


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254,
        error_messages={"invalid": _("Enter a valid e-mail address, like nama@contoh.id."),
                        "required": _("Enter your e-mail address.")})

    field_order = ["email", "name", "categories", "frequency"]

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        if _CONTROL.search(email):
            raise ValidationError(_("Enter a valid e-mail address, like nama@contoh.id."),
                                  code="invalid")
        return email.strip().lower()
