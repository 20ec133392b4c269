"""Keep the front end's gettext catalogues in step with the code: `python -m web.translation_files`
(`make translations`).

Extracts every message of web/ (Python and templates) into web/translations/messages.pot, then updates
each language's messages.po from it (shared/catalogues.py). Translators then fill in the .po (any
gettext editor, e.g. Poedit).
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.catalogues import Catalogues, read_catalog  # noqa: F401 - read_catalog: for the tests

CATALOGUES = Catalogues(
    package_dir=Path(__file__).parent,
    method_map=(("translations/**", "ignore"), ("**.py", "python"), ("templates/**.html", "jinja2")),
    options_map=(("templates/**.html", (("extensions", "jinja2.ext.i18n"), ("newstyle_gettext", "true"))),),
    keywords=(("_", None), ("gettext", None), ("ngettext", (1, 2)), ("N_", None), ("gettext_in", (2,)),
              ("ngettext_in", (2, 3)), ("C_", ((1, "c"), 2))),
    header="Messages of the LUMC–SSMU course exchange's web front end.",
)
stale_messages, untranslated = CATALOGUES.stale_messages, CATALOGUES.untranslated

if __name__ == "__main__":
    sys.exit(CATALOGUES.main())
