"""Key terms: which specific words of a message an FAQ entry leaves unmentioned."""

from __future__ import annotations

import pytest

from kefu.assist.faq_terms import ShopTerms, mentions

ENTRY_TEXTS = [
    "能开发票吗 可以开电子普通发票，确认收货后把抬头和税号发给客服",
    "多久发货 下午4点前付款当天发货",
    "支持哪些付款方式 支持支付宝和银行卡在线付款",
]
ENTRY_QUESTIONS = [["能开发票吗"], ["多久发货"], ["支持哪些付款方式"]]


@pytest.fixture(scope="module")
def terms() -> ShopTerms:
    return ShopTerms(ENTRY_TEXTS, ENTRY_QUESTIONS)


def test_a_word_is_mentioned_through_its_synonym() -> None:
    assert mentions("寄出", "下午4点前付款当天发货")


def test_a_compound_is_mentioned_through_most_of_its_parts() -> None:
    assert mentions("充电仓", "放进充电盒里充电")
    assert not mentions("微信", "支持支付宝和银行卡在线付款")


def test_a_specific_word_weighs_more_than_a_generic_shop_chat_word(terms: ShopTerms) -> None:
    weights = {t.word: t.weight for t in terms.key_terms("请问可以用微信付款吗")}

    assert weights["微信"] > weights.get("请问", 0.0)
    assert "吗" not in weights


def test_the_entry_that_never_mentions_a_key_term_has_it_missing(terms: ShopTerms) -> None:
    covered, missing, _, _ = terms.features("可以用微信付款吗", [0, 1, 2])

    assert missing[2] > 0.5  # 微信: the payment entry speaks only of 支付宝 and cards
    assert covered[2] > covered[0]


def test_the_entry_side_coverage_is_full_when_the_message_says_the_whole_question(
    terms: ShopTerms,
) -> None:
    _, _, entry_side, _ = terms.features("亲，多久能发货呀", [0, 1, 2])

    assert entry_side[1] == pytest.approx(1.0)
    assert entry_side[1] > entry_side[0]


def test_entries_outside_the_shortlist_look_like_they_mention_nothing(terms: ShopTerms) -> None:
    covered, missing, entry_side, _ = terms.features("多久发货", [1])

    assert (covered[0], missing[0], entry_side[0]) == (0.0, 1.0, 0.0)
    assert covered[1] > 0.0
