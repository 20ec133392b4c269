"""Keep the notification messages' gettext catalogues in step with the templates:
`python -m notifications.translation_files` (`make translations`).

Extracts every message of the templates (and the labels marked N_ in the code) into
notifications/translations/messages.pot, then updates each language's messages.po from it
(shared/catalogues.py). Translators then fill in the .po (any gettext editor, e.g. Poedit).
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.catalogues import Catalogues

CATALOGUES = Catalogues(
    package_dir=Path(__file__).parent,
    method_map=(("translations/**", "ignore"), ("migrations/**", "ignore"), ("**.py", "python"),
                ("templates/**.j2", "jinja2")),
    options_map=(("templates/**.j2", (("extensions", "jinja2.ext.i18n"), ("newstyle_gettext", "true"))),),
    keywords=(("_", None), ("N_", None)),
    header="Messages of the LUMC–SSMU course exchange's notifications (inbox and email).",
)

if __name__ == "__main__":
    sys.exit(CATALOGUES.main())
