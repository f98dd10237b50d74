"""Messages to editors in their own language: English in the code, Chinese in the interface catalog.

A message is written once, in English, as `_("'%(value)s' is not a date", value=v)`;
`python -m site_builder i18n update` extracts it with the theme's strings into
translations/messages.pot, and its Chinese lives in translations/zh_CN/LC_MESSAGES/messages.po.
A `Message` is a `str` holding the English text, and keeps its template and values so
that it can be shown in either language later: the live preview shows the same problems
in English on an English page and in Chinese on a Chinese one.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

# The messages belong to the code, so their catalog is the one next to the package.
_CODE_ROOT = Path(__file__).resolve().parent.parent
MESSAGE_LANGUAGES = ("en", "zh")

# One language for the whole process: the preview's worker threads print in it too.
_language = "en"


class Message(str):
    """A message in English that can also be shown in another language."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any] | None = None) -> Message:
        params = dict(params or {})
        obj = super().__new__(cls, _fill(template, params, "en"))
        obj.template, obj.params = template, params
        return obj

    def render(self, lang: str | None = None) -> str:
        """Return the message in `lang` (default: the current message language)."""
        lang = lang or current_language()
        template = self.template if lang == "en" else _translations(lang).gettext(self.template)
        return _fill(template, self.params, lang)


def _(template: str, **params: Any) -> Message:
    """Return a translatable message: `template` in English with `%(name)s` placeholders."""
    return Message(template, params)


def render(text: str, lang: str | None = None) -> str:
    """Return `text` in `lang` when it is a Message; any other string as it is."""
    return text.render(lang) if isinstance(text, Message) else str(text)


def _fill(template: str, params: dict[str, Any], lang: str) -> str:
    if not params:
        return template
    return template % {k: render(v, lang) if isinstance(v, Message) else v for k, v in params.items()}


@lru_cache(maxsize=4)
def _translations(lang: str):
    from .languages import load_translations  # late: it imports Babel, which plain English runs never need

    return load_translations(_CODE_ROOT, lang)


# --- which language ----------------------------------------------------------------------------------

def current_language() -> str:
    """Return the language messages are shown in now ("en" or "zh")."""
    return _language


def set_language(lang: str) -> None:
    """Show messages in `lang` from now on."""
    global _language
    _language = lang if lang in MESSAGE_LANGUAGES else "en"


def language_from_environment(env: Mapping[str, str] | None = None) -> str:
    """Return "zh" or "en" from LANGUAGE, LC_ALL, LC_MESSAGES and LANG, as gettext reads them.

    The first variable that is set decides; LANGUAGE may list several languages
    (`zh_CN:en`), of which the first one we have wins. C and POSIX mean English.
    """
    env = os.environ if env is None else env
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if not value:
            continue
        for item in value.split(":"):
            code = re.split(r"[_.@-]", item.strip(), maxsplit=1)[0].lower()
            if code in MESSAGE_LANGUAGES:
                return code
        return "en"
    return "en"


# --- fields as the editor knows them -------------------------------------------------------------------

# The template's own names of the fields, by YAML key (the guide's case template and the site's labels).
FIELD_LABELS: dict[str, Message] = {
    "id": _("id"),
    "section": _("section number"),
    "region": _("Region"),
    "partner": _("Partner"),
    "institution": _("HEI name"),
    "country": _("Country"),
    "authors": _("Case study author(s)"),
    "name": _("Name"),
    "profile.name": _("Case study name"),
    "contact.name": _("Surname, Name"),
    "role": _("Role"),
    "target_groups": _("Target groups"),
    "target_groups_detail": _("Target groups"),
    "date": _("Date"),
    "themes": _("Themes"),
    "profile": _("Profile"),
    "short_description": _("Short description"),
    "background": _("Background"),
    "keywords": _("Key words"),
    "impact": _("Impact"),
    "achievements": _("Achievements"),
    "awards": _("Awards"),
    "key_success_factors": _("Key success factors"),
    "image": _("Photograph / diagram"),
    "file": _("image file"),
    "alt": _("text alternative"),
    "caption": _("caption"),
    "information_sources": _("Information sources"),
    "websites": _("Website"),
    "contact": _("Contact details"),
    "address": _("Address"),
    "telephone": _("Telephone"),
    "email": _("E-mail"),
    "update_of": _("update of"),
    "editorial_notes": _("Editorial notes"),
}
_LANGUAGE_NAMES = {"en": _("English"), "zh": _("Chinese")}


def field_label(field: str, lang: str | None = None) -> str:
    """Return a field path with the template's label, e.g. `profile.keywords（关键词）`.

    English keeps the bare path: the YAML keys are the English labels already.
    """
    lang = lang or current_language()
    if lang == "en" or not field:
        return field
    names = [p for p in re.split(r"\.|\[\d+\]", field) if p]
    language = names.pop() if names and names[-1] in _LANGUAGE_NAMES else None
    dotted_names = ".".join(names)
    label = next((FIELD_LABELS[k] for k in (dotted_names, ".".join(names[-2:]), *reversed(names)) if k in FIELD_LABELS),
                 None)
    parts = [render(label, lang)] if label else []
    parts += [render(_LANGUAGE_NAMES[language], lang)] if language else []
    return f"{field}（{'，'.join(parts)}）" if parts else field
