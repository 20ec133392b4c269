"""Marking the words a catalogue search matched, with everything else escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from shared.wordforms import matches, stems, word_spans


def highlight(text: str | None, query: str | None) -> Markup:
    """Return the text with each word matching the query (a form of it, or one typo away) in <mark>.

    The text and the query are what people typed: both stay data, every piece of the text is escaped
    and the only markup is the <mark> tags added here.
    """
    text = text or ""
    searched = list(dict.fromkeys(stems(query or "")))
    pieces, shown = [], 0
    for start, end, word_stem in word_spans(text) if searched else ():
        if any(matches(query_stem, word_stem) for query_stem in searched):
            pieces += [escape(text[shown:start]), Markup("<mark>"), escape(text[start:end]), Markup("</mark>")]
            shown = end
    pieces.append(escape(text[shown:]))
    return Markup("").join(pieces)
