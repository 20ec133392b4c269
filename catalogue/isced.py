"""ISCED-F 2013 fields of education and training (UNESCO), the codes a course may carry.

Broad fields have two digits, narrow fields three, detailed fields four. Every broad and narrow
field also has its "not further defined" code (trailing 0), every narrow field its
"not elsewhere classified" detailed code (trailing 9), and every broad field its
inter-disciplinary codes (xx8, xx88).
"""

from __future__ import annotations

# narrow field -> the last digits of its detailed fields, by broad field
_DETAILED = {
    "00": {"001": "1", "002": "1", "003": "1"},
    "01": {"011": "1234"},
    "02": {"021": "12345", "022": "123", "023": "12"},
    "03": {"031": "1234", "032": "12"},
    "04": {"041": "1234567", "042": "1"},
    "05": {"051": "12", "052": "12", "053": "123", "054": "12"},
    "06": {"061": "123"},
    "07": {"071": "123456", "072": "1234", "073": "12"},
    "08": {"081": "12", "082": "1", "083": "1", "084": "1"},
    "09": {"091": "1234567", "092": "123"},
    "10": {"101": "12345", "102": "12", "103": "12", "104": "1"},
}


def _valid_codes() -> frozenset[str]:
    codes = {"99", "999", "9999"}  # field unknown
    for broad, narrows in _DETAILED.items():
        codes |= {broad, broad + "0", broad + "00", broad + "8", broad + "88"}
        for narrow, digits in narrows.items():
            codes |= {narrow, narrow + "0", narrow + "9"} | {narrow + digit for digit in digits}
    return frozenset(codes)


ISCED_F_CODES = _valid_codes()
