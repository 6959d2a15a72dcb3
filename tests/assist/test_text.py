"""Normalisation that every reader of the coach shares."""

from kefu.assist.text import MAX_TEXT_CHARS, normalize, normalize_aligned


def test_traditional_and_full_width_read_like_simplified():
    assert normalize("這個太貴了吧！！ＡＢＣ１２３") == "这个太贵了吧!!abc123"


def test_aligned_normalisation_keeps_every_offset():
    text = "這個太貴了吧！ＯＫ"
    assert len(normalize_aligned(text)) == len(text)
    assert normalize_aligned(text).index("贵") == text.index("貴")


def test_a_broken_emoji_half_does_not_crash_and_keeps_length():
    text = "好的\ud83d谢谢"
    assert normalize(text) == "好的\ufffd谢谢"
    assert len(normalize_aligned(text)) == len(text)


def test_very_long_text_is_cut():
    assert len(normalize("贵" * (MAX_TEXT_CHARS * 3))) == MAX_TEXT_CHARS
