"""The pages' texts in the reader's language, from the gettext catalogues in web/translations.

Messages are written in English in the code and templates (the msgid); `web/translations/<locale>/
LC_MESSAGES/messages.po` holds each language's translation, with its plural forms. The .po files are
the only source: they are compiled in memory when first used, so there is no .mo file to forget to
rebuild (`python -m web.translation_files` keeps them in step with the code; see docs/web.md).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, g, has_app_context

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language of the msgids: it needs no catalogue


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of `locale`; the msgids themselves for English or a language without one."""
    path = po_path(locale)
    if locale == SOURCE_LOCALE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext_in(locale: str, message: str, **values) -> str:
    """`message` in `locale`, with `%(name)s` placeholders filled from `values`."""
    text = translations(locale).gettext(message)
    return text % values if values else text


def ngettext_in(locale: str, singular: str, plural: str, num: int, **values) -> str:
    """The form of a message for `num` (Russian has three: 1 курс, 2 курса, 5 курсов); `%(num)d` is `num`."""
    return translations(locale).ngettext(singular, plural, num) % {"num": num, **values}


def pgettext_in(locale: str, context: str, message: str) -> str:
    """`message` in `locale` as meant in `context` (Russian: a course is "Опубликован", an enrolment "Отменена")."""
    return translations(locale).pgettext(context, message)


def current_locale() -> str:
    """The reader's language in a request (set by the app before each page); English elsewhere."""
    return (g.get("locale") if has_app_context() else None) or SOURCE_LOCALE


def gettext(message: str, **values) -> str:
    """`message` in the reader's language."""
    return gettext_in(current_locale(), message, **values)


def ngettext(singular: str, plural: str, num: int, **values) -> str:
    """The form of a message for `num` in the reader's language."""
    return ngettext_in(current_locale(), singular, plural, num, **values)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark `message` for extraction where it is defined; it is translated where it is shown."""
    return message


def C_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 - a gettext-style marker, like N_
    """Mark `message` with its context for extraction; translate it with pgettext_in where it is shown."""
    return context, message


def install_gettext(app: Flask) -> None:
    """Give the templates `_`, `gettext` and `ngettext` in the reader's language (Jinja's i18n extension,
    new style: `_("Hello %(name)s", name=x)`, values escaped like any other output)."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext=lambda message: translations(current_locale()).gettext(message),
                                            ngettext=lambda singular, plural, num: translations(
                                                current_locale()).ngettext(singular, plural, num),
                                            newstyle=True)
