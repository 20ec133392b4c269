"""A package's gettext catalogues, for the front end's pages and the notification service's messages alike.

Messages are written in English in the code and templates (the msgid); `<package>/translations/<locale>/
LC_MESSAGES/messages.po` holds each language's translation, with its plural forms. The .po files are the
only source: they are compiled in memory when first used, so there is no .mo file to forget to rebuild.
`Catalogues.update()` keeps them in step with the code (new messages arrive untranslated, changed ones
fuzzy, removed ones are dropped); `stale_messages` and `untranslated` are what the tests check, so CI
fails until both are empty.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import NullTranslations, Translations

DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language of the msgids: it needs no catalogue
TRANSLATED_LOCALES = ("ru",)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark `message` for extraction where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Catalogues:
    """The catalogues of one package: where its messages are, and how to find them in its files."""

    package_dir: Path
    method_map: tuple[tuple[str, str], ...]  # Babel's: which files are read how
    options_map: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    keywords: tuple[tuple[str, object], ...]  # the functions whose arguments are messages
    header: str

    @property
    def translations_dir(self) -> Path:
        return self.package_dir / "translations"

    @property
    def pot_path(self) -> Path:
        return self.translations_dir / f"{DOMAIN}.pot"

    def po_path(self, locale: str) -> Path:
        return self.translations_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"

    def translations(self, locale: str) -> NullTranslations:
        """The compiled catalogue of `locale`; the msgids themselves for English or a language without one."""
        return _compiled(self.po_path(locale), locale)

    def extracted_messages(self) -> Catalog:
        """Every message the package's code and templates ask to translate."""
        catalog = Catalog(project="course-exchange", version="0.1.0", header_comment=f"# {self.header}", fuzzy=False)
        options = {pattern: dict(values) for pattern, values in self.options_map}
        for filename, _lineno, message, comments, context in extract_from_dir(
                self.package_dir, list(self.method_map), options, dict(self.keywords),
                comment_tags=("Translators:",), strip_comment_tags=True):
            catalog.add(message, None, [(f"{self.package_dir.name}/{filename}", None)], auto_comments=comments,
                        context=context)
        return catalog

    def stale_messages(self, locale: str) -> set[tuple]:
        """Messages in the code but not in the locale's .po, or in the .po (or .pot) but no longer in the code."""
        in_code = message_ids(self.extracted_messages())
        differences = in_code ^ message_ids(read_catalog(self.po_path(locale), locale))
        return differences | (in_code ^ message_ids(read_catalog(self.pot_path)))

    def untranslated(self, locale: str) -> list[str]:
        """Messages of the locale's .po without a translation (or with only a fuzzy one)."""
        missing = []
        for message in read_catalog(self.po_path(locale), locale):
            if not message.id:
                continue
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(texts):
                missing.append(message.id if isinstance(message.id, str) else message.id[0])
        return missing

    def update(self) -> None:
        """Write the .pot from the code, and update each language's .po from it."""
        template = self.extracted_messages()
        write_catalog(self.pot_path, template)
        for locale in TRANSLATED_LOCALES:
            path = self.po_path(locale)
            catalog = read_catalog(path, locale) if path.exists() else Catalog(locale=locale, fuzzy=False)
            catalog.update(template, no_fuzzy_matching=False, update_header_comment=True)
            catalog.obsolete.clear()  # removed messages live on in git history, not in the translators' file
            write_catalog(path, catalog)

    def main(self) -> int:
        """Update the catalogues and list what is left to translate (`make translations`)."""
        self.update()
        for locale in TRANSLATED_LOCALES:
            missing = self.untranslated(locale)
            print(f"{self.po_path(locale).relative_to(self.package_dir.parent)}: {len(missing)} untranslated")
            for message in missing:
                print(f"  {message}")
        return 0


@cache
def _compiled(path: Path, locale: str) -> NullTranslations:
    if locale == SOURCE_LOCALE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def message_ids(catalog: Catalog) -> set[tuple]:
    return {(message.id if isinstance(message.id, tuple) else (message.id,), message.context)
            for message in catalog if message.id}


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a catalogue, unless only its creation date would change (no churn in git from a re-run)."""
    written = io.BytesIO()
    # File names without line numbers: a translator sees where a message is used, and an edit that
    # moves lines does not touch the catalogues.
    write_po(written, catalog, width=100, include_lineno=False, sort_output=True)
    if path.exists() and without_dates(path.read_bytes()) == without_dates(written.getvalue()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(written.getvalue())


def without_dates(po_text: bytes) -> bytes:
    return re.sub(rb'^"(POT-Creation|PO-Revision)-Date: .*\\n"$', b"", po_text, flags=re.M)  # \n as written in a .po
