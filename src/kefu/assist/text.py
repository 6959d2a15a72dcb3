"""Text normalisation shared by the coach's readers.

Real chat text arrives in Traditional or Simplified Chinese, with full-width
letters and digits, Taobao emoticons ([微笑]) and masked tokens ([订单x]). The
classifier, the FAQ matcher and the reply checker all read it through here so
that they agree on what a "word" is.
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_TEXT_CHARS = 4000
"""Longer input is cut to this many characters before analysis (the desk refuses
messages over 2,000 characters long before they get here)."""

_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\ud800-\udfff]")


@functools.cache
def _t2s():  # type: ignore[no-untyped-def]
    import opencc  # heavy: loaded on first use

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified (OpenCC t2s); other text is unchanged.

    A lone surrogate (half of a broken emoji) cannot be encoded for OpenCC: it
    becomes U+FFFD, one character for one, so offsets still hold.
    """
    return _t2s().convert(_SURROGATES.sub("\ufffd", text))


def _narrow(ch: str) -> str:
    """Full-width ASCII variants to their half-width form, one character to one."""
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if code == 0x3000:
        return " "
    return ch


def normalize_aligned(text: str) -> str:
    """Normalise without changing length, so offsets into the result are offsets into `text`.

    Full-width ASCII becomes half-width, Latin letters are lower-cased and
    Traditional characters become Simplified where the conversion is one
    character for one (which is nearly always).
    """
    narrowed = "".join(_narrow(ch) for ch in text).lower()
    simplified = to_simplified(narrowed)
    if len(simplified) == len(narrowed):
        return simplified
    return "".join(s if len(s := to_simplified(ch)) == 1 else ch for ch in narrowed)


def normalize(text: str) -> str:
    """Normalise for reading: NFKC, Simplified, lower case, single spaces, bounded length."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS])
    text = to_simplified(text.lower())
    return _SPACES.sub(" ", text).strip()
