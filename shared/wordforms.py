"""Word forms for search in English and Russian: folding, Snowball stems and a one-typo match.

The catalogue indexes and searches courses with these functions and the web front end marks the
matches with them, so what is found and what is highlighted are decided alike.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Iterator

import Stemmer
from rapidfuzz.distance import OSA

# Letters and digits; "_" is a word character to `\w` but a separator to a reader (and a LIKE wildcard).
WORD = re.compile(r"[^\W_]+")
CYRILLIC = re.compile(r"[\u0400-\u052f]")
# A typo in a shorter word changes its meaning rather than its spelling ("cell" and "call").
SHORTEST_TYPO_WORD = 5

_local = threading.local()  # PyStemmer's stemmers are not safe to share between threads


def fold(text: str) -> str:
    """Fold text for matching: case-insensitive in Cyrillic too, and ё matches е as readers expect."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def stem(word: str) -> str:
    """Return the Snowball stem of one word: Russian rules for a Cyrillic word, English otherwise."""
    folded = fold(word)
    if not hasattr(_local, "stemmers"):
        _local.stemmers = {"en": Stemmer.Stemmer("english"), "ru": Stemmer.Stemmer("russian")}
    return _local.stemmers["ru" if CYRILLIC.search(folded) else "en"].stemWord(folded)


def stems(text: str) -> list[str]:
    """Return the stems of every word of a text, in order ("Гельминтозы и иммунитет" → гельминтоз, и, иммунитет)."""
    return [stem(word) for word in WORD.findall(fold(text))]


def word_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, stem) of each word of a text, positions in the text as given (for marking)."""
    for match in WORD.finditer(text):
        yield match.start(), match.end(), stem(match.group())


def within_one_typo(query_stem: str, word_stem: str) -> bool:
    """Whether a searched stem is a word's stem (or its beginning) with one letter wrong, missing,
    extra or two letters swapped: "imunolog" finds "immunolog"."""
    if len(query_stem) < SHORTEST_TYPO_WORD:
        return False
    length = len(query_stem)
    return any(OSA.distance(query_stem, word_stem[:end], score_cutoff=1) <= 1
               for end in (length - 1, length, length + 1) if end <= len(word_stem))


def matches(query_stem: str, word_stem: str) -> bool:
    """Whether a word is a form of a searched word: same stem or longer, or one typo away."""
    return word_stem.startswith(query_stem) or within_one_typo(query_stem, word_stem)
