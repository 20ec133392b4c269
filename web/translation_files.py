"""Keep the gettext catalogues in step with the code: `python -m web.translation_files` (`make translations`).

Extracts every message of web/ (Python and templates) into web/translations/messages.pot, then
updates each language's messages.po from it: new messages arrive untranslated, changed ones fuzzy,
removed ones are dropped. Translators then fill in the .po (any gettext editor, e.g. Poedit).
`stale_messages` and `untranslated` are what the test suite checks, so CI fails until both are empty.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from web.i18n import DOMAIN, TRANSLATIONS_DIR, po_path

WEB_DIR = Path(__file__).parent
METHOD_MAP = [("translations/**", "ignore"), ("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS_MAP = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "gettext_in": (2,), "ngettext_in": (2, 3),
            "C_": ((1, "c"), 2)}
POT_PATH = TRANSLATIONS_DIR / f"{DOMAIN}.pot"
TRANSLATED_LOCALES = ("ru",)
POT_HEADER = "Messages of the LUMC–SSMU course exchange's web front end."


def extracted_messages() -> Catalog:
    """Every message the code and templates of web/ ask to translate."""
    catalog = Catalog(project="course-exchange", version="0.1.0", header_comment=f"# {POT_HEADER}", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            WEB_DIR, METHOD_MAP, OPTIONS_MAP, KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True):
        catalog.add(message, None, [(f"web/{filename}", None)], auto_comments=comments, context=context)
    return catalog


def message_ids(catalog: Catalog) -> set[tuple]:
    return {(message.id if isinstance(message.id, tuple) else (message.id,), message.context)
            for message in catalog if message.id}


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def stale_messages(locale: str) -> set[tuple]:
    """Messages in the code but not in the locale's .po, or in the .po (or .pot) but no longer in the code."""
    in_code = message_ids(extracted_messages())
    differences = in_code ^ message_ids(read_catalog(po_path(locale), locale))
    return differences | (in_code ^ message_ids(read_catalog(POT_PATH)))


def untranslated(locale: str) -> list[str]:
    """Messages of the locale's .po without a translation (or with only a fuzzy one)."""
    missing = []
    for message in read_catalog(po_path(locale), locale):
        if not message.id:
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(texts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


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
    return re.sub(rb'^"(POT-Creation|PO-Revision)-Date: [^"]*"$', b"", po_text, flags=re.M)


def update_catalogues() -> None:
    """Write the .pot from the code, and update each language's .po from it."""
    template = extracted_messages()
    write_catalog(POT_PATH, template)
    for locale in TRANSLATED_LOCALES:
        path = po_path(locale)
        catalog = read_catalog(path, locale) if path.exists() else Catalog(locale=locale, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=False, update_header_comment=True)
        catalog.obsolete.clear()  # removed messages live on in git history, not in the translators' file
        write_catalog(path, catalog)


def main() -> int:
    update_catalogues()
    for locale in TRANSLATED_LOCALES:
        missing = untranslated(locale)
        print(f"{po_path(locale).relative_to(WEB_DIR.parent)}: {len(missing)} untranslated")
        for message in missing:
            print(f"  {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
