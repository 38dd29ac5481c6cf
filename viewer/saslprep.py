"""SASLprep (RFC 4013): the one preparation of passwords before they are hashed, compared or sent.

RFC 4013 §2, with the tables of RFC 3454 from the standard library's ``stringprep`` (and the
NFKC of Unicode 3.2, the version those tables are written for, as ``encodings.idna`` does):

1. map: non-ASCII spaces (C.1.2) to SPACE, "commonly mapped to nothing" (B.1) to nothing;
2. normalise with Unicode NFKC;
3. prohibit: non-ASCII spaces, control characters, private use, non-characters, surrogates,
   inappropriate for plain text or canonical representation, change display properties,
   tagging characters (C.1.2, C.2.1, C.2.2, C.3–C.9);
4. bidirectional check (RFC 3454 §6): a string with right-to-left characters holds no
   left-to-right one, and starts and ends with a right-to-left character;
5. unassigned code points (A.1): refused in a stored string (a password being set),
   allowed in a query (a password being checked or sent).

So "é" typed precomposed (U+00E9) or decomposed (e U+0301), and a password typed with a
no-break space, are the same password. ``SaslprepError`` names the rule and the position of
the refused character, never the password itself.
"""

from __future__ import annotations

import stringprep
import unicodedata

from viewer.errors import SpoolviewError

__all__ = ["SaslprepError", "saslprep"]

# RFC 4013 §2.3, the prohibited output: each table, the code its error carries, its English words.
_PROHIBITED = (
    (stringprep.in_table_c12, "space", "a non-ASCII space"),
    (stringprep.in_table_c21_c22, "control", "a control character"),
    (stringprep.in_table_c3, "private", "a private-use character"),
    (stringprep.in_table_c4, "noncharacter", "a non-character code point"),
    (stringprep.in_table_c5, "surrogate", "a surrogate code point"),
    (stringprep.in_table_c6, "plain_text", "a character inappropriate for plain text"),
    (stringprep.in_table_c7, "canonical", "a character inappropriate for canonical representation"),
    (stringprep.in_table_c8, "display", "a character that changes display properties"),
    (stringprep.in_table_c9, "tagging", "a tagging character"),
)
CODES = (*(code for _table, code, _words in _PROHIBITED), "unassigned", "bidi")


class SaslprepError(SpoolviewError):
    """A string SASLprep refuses: ``code`` names the rule (one of CODES), ``position`` the character (from 1; 0 for bidi)."""

    code: str
    position: int

    def __init__(self, english: str, *, code: str, position: int = 0, point: str = "") -> None:
        super().__init__(english, msgid=f"saslprep.{code}", params={"point": point, "position": position})
        self.code = code
        self.position = position


def saslprep(text: str, *, stored: bool = False) -> str:
    """``text`` prepared by SASLprep; ``stored``: refuse unassigned code points too (a password being set).

    Raises SaslprepError (the rule and the character's position, never the text) when RFC 4013 prohibits the result.
    """
    if all(" " <= c < "\x7f" for c in text):  # printable ASCII: nothing to map, normalise or refuse
        return text
    mapped = "".join(" " if stringprep.in_table_c12(c) else c for c in text if not stringprep.in_table_b1(c))
    prepared = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)
    for position, char in enumerate(prepared, 1):
        point = f"U+{ord(char):04X}"
        for table, code, words in _PROHIBITED:
            if table(char):
                raise SaslprepError(f"the password holds {words} ({point}, character {position}), which a password may "
                                    "not hold: choose another password", code=code, position=position, point=point)
        if stored and stringprep.in_table_a1(char):
            raise SaslprepError(f"the password holds an unassigned code point ({point}, character {position}), which a "
                                "password may not hold: choose another password", code="unassigned", position=position,
                                point=point)
    right_to_left = [stringprep.in_table_d1(c) for c in prepared]
    if any(right_to_left) and (any(stringprep.in_table_d2(c) for c in prepared)
                               or not (right_to_left[0] and right_to_left[-1])):
        raise SaslprepError("the password mixes right-to-left and left-to-right letters, or its right-to-left text does "
                            "not start and end with a right-to-left letter: choose another password", code="bidi")
    return prepared
