"""The reply checker: the contract's categories, its settled hard cases, spans, speed-safe input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.assist.checker import (
    CURT_SUGGESTIONS,
    NEGATIVE_SUGGESTIONS,
    Finding,
    ShopTerm,
    check_reply,
    evaluate_checker,
)
from kefu.assist.checker_lexicon import read_entries
from kefu.assist.dataset import load_replies
from kefu.assist.labels import FINDING_CATEGORIES
from kefu.assist.text import MAX_TEXT_CHARS


def categories(text: str) -> set[str]:
    return {finding.category for finding in check_reply(text)}


def only(text: str, category: str) -> Finding:
    found = [finding for finding in check_reply(text) if finding.category == category]
    assert len(found) == 1, check_reply(text)
    return found[0]


# --- taxonomy §5, reply checker: each settled case -------------------------------------


@pytest.mark.parametrize("reply", ["不行。", "不讲价。", "退不了。"])
def test_a_standalone_bare_refusal_is_negative_and_curt(reply: str) -> None:
    assert categories(reply) == {"negative", "curt"}


def test_a_bare_refusal_is_high_severity_negative() -> None:
    assert only("不行。", "negative").severity == "high"


def test_a_softened_refusal_without_reason_or_alternative_is_negative_only() -> None:
    assert categories("不行的哦") == {"negative"}


@pytest.mark.parametrize("reply", ["嗯", "嗯嗯", "哦", "好", "没有", "不行", "好的。"])
def test_a_reply_of_only_acknowledgement_or_refusal_tokens_is_curt(reply: str) -> None:
    assert "curt" in categories(reply)


@pytest.mark.parametrize(
    "reply", ["嗯嗯，是的呢", "好的亲", "好的哦", "好的～", "好的[微笑]", "嗯嗯，您说"]
)
def test_a_softener_makes_a_short_reply_not_curt(reply: str) -> None:
    assert "curt" not in categories(reply)


@pytest.mark.parametrize(
    ("reply", "intensifier"),
    [
        ("一定明天到", "一定"),
        ("保证不起球", "保证"),
        ("绝对正品", "绝对"),
        ("百分百满意", "百分百"),
        ("100%不过敏", "100%"),
        ("肯定不会坏", "肯定"),
        ("永远不会过时", "永远"),
    ],
)
def test_a_promised_outcome_with_an_intensifier_is_absolute(reply: str, intensifier: str) -> None:
    assert only(reply, "absolute").text == intensifier


def test_a_plain_product_fact_is_not_absolute() -> None:
    assert check_reply("不会褪色的哦") == []


def test_an_absolute_refusal_is_negative_and_absolute() -> None:
    found = {(finding.category, finding.text) for finding in check_reply("绝对不能退")}
    assert found == {("absolute", "绝对"), ("negative", "不能")}


@pytest.mark.parametrize("reply", ["这件衣服很好看，但是有点贵", "可以开发票，但是要等确认收货"])
def test_but_after_agreement_or_praise_is_flagged_low(reply: str) -> None:
    finding = only(reply, "but")
    assert (finding.text, finding.severity) == ("但是", "low")


@pytest.mark.parametrize(
    "reply", ["缺货，但是下周补货", "虽然贵一点，但是用料更好", "这可是今年的爆款"]
)
def test_but_that_brings_good_news_or_is_emphasis_is_clean(reply: str) -> None:
    assert check_reply(reply) == []


def test_you_should_as_probably_is_clean() -> None:
    assert check_reply("您应该明天就能收到") == []


def test_you_should_as_an_instruction_is_blame() -> None:
    assert only("您应该先看详情页", "blame").text == "您应该"


def test_you_must_have_mixed_it_up_is_blame_not_absolute() -> None:
    assert categories("您肯定弄混了") == {"blame"}


@pytest.mark.parametrize("reply", ["是您自己不会辨别", "您别激动", "别催了", "您别瞎说"])
def test_pointing_at_the_customer_or_telling_them_what_to_feel_is_blame(reply: str) -> None:
    assert categories(reply) == {"blame"}


@pytest.mark.parametrize(
    "reply", ["爱买不买", "穷就别看了", "嫌贵去别家买", "这么点事还要问老婆啊"]
)
def test_insults_and_mockery_are_rude_and_high(reply: str) -> None:
    found = check_reply(reply)
    assert {f.category for f in found} == {"rude"}
    assert all(f.severity == "high" for f in found)


def test_can_you_not_read_chinese_is_both_blame_and_rude() -> None:
    assert categories("看不懂中文吗") == {"blame", "rude"}


@pytest.mark.parametrize("reply", ["一定尽快为您处理", "一定尽力", "我们保证第一时间跟进"])
def test_a_promise_of_effort_is_clean(reply: str) -> None:
    assert check_reply(reply) == []


def test_a_refusal_with_a_reason_is_still_negative() -> None:
    assert categories("不能退，因为拆封了") == {"negative"}


@pytest.mark.parametrize("reply", ["不能退，可以帮您换一件哦", "不能退，我帮您申请换货"])
def test_saying_what_can_be_done_instead_makes_a_refusal_clean(reply: str) -> None:
    assert check_reply(reply) == []


@pytest.mark.parametrize(
    "reply", ["不用担心", "不会褪色的", "没问题", "不一定哦", "能不能麻烦您拍张照片"]
)
def test_negation_that_is_not_a_refusal_is_clean(reply: str) -> None:
    assert check_reply(reply) == []


@pytest.mark.parametrize("reply", ["这款不能机洗哦，手洗就好", "如果还是不行，我们给您换新的"])
def test_product_facts_and_conditionals_are_not_refusals(reply: str) -> None:
    assert check_reply(reply) == []


# --- spans, Traditional and full-width input -------------------------------------------


def test_every_span_is_the_text_at_its_offsets() -> None:
    reply = "亲，您自己没看清楚，这个我们绝对不能退，但是……爱买不买"
    for finding in check_reply(reply):
        assert reply[finding.start : finding.end] == finding.text


def test_spans_in_traditional_text_point_into_the_original() -> None:
    reply = "這件衣服很好看，但是有點貴，絕對不能退"
    found = {(f.category, f.start, f.end, f.text) for f in check_reply(reply)}
    assert found == {
        ("but", 8, 10, "但是"),
        ("absolute", 14, 16, "絕對"),
        ("negative", 16, 18, "不能"),
    }


def test_full_width_input_is_read_and_spans_keep_the_original_characters() -> None:
    finding = only("　ＯＫ！", "curt")
    assert (finding.start, finding.end, finding.text) == (1, 3, "ＯＫ")


def test_a_letter_that_lower_case_lengthens_does_not_shift_spans() -> None:
    reply = "İİ这个不行的哦"
    finding = only(reply, "negative")
    assert reply[finding.start : finding.end] == "不行"


# --- shop terms, odd input ---------------------------------------------------------------


def test_a_shop_term_is_found_with_its_own_category_severity_and_suggestion() -> None:
    term = ShopTerm("加微信", "rude", "high", "请在平台内沟通，我们在这里就能帮您处理～")
    found = [f for f in check_reply("亲，加微信聊吧", extra_terms=[term]) if f.category == "rude"]
    assert [f.text for f in found] == ["加微信"]
    assert found[0].severity == "high"
    assert found[0].suggestion == term.suggestion


def test_a_shop_term_matches_traditional_text() -> None:
    term = ShopTerm("包邮", "negative", "low", "说清楚满多少包邮")
    found = [f for f in check_reply("全場包郵哦", extra_terms=[term]) if f.category == "negative"]
    assert [(f.start, f.text) for f in found] == [(2, "包郵")]


def test_a_shop_term_with_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="category"):
        ShopTerm("加微信", "spam", "high", "")


@pytest.mark.parametrize("reply", ["", "   ", "\n\t"])
def test_an_empty_reply_has_no_findings(reply: str) -> None:
    assert check_reply(reply) == []


def test_a_very_long_reply_is_checked_up_to_the_limit_without_error() -> None:
    reply = "亲，这款很好看哦。" * 20_000 + "爱买不买"
    found = check_reply(reply)
    assert found == []  # the insult lies past MAX_TEXT_CHARS
    assert check_reply("爱买不买" + reply)[0].end <= MAX_TEXT_CHARS


def test_control_characters_and_odd_symbols_do_not_break_the_check() -> None:
    found = check_reply("\x00\ufffd\U0001f600不行")
    assert [(f.category, f.start, f.end, f.text) for f in found] == [("negative", 3, 5, "不行")]


# --- suggestions -------------------------------------------------------------------------


def test_every_finding_carries_a_chinese_suggestion() -> None:
    for reply in [
        "我不能给您便宜",
        "不行。",
        "一定明天到",
        "您应该先看详情页",
        "爱买不买",
        "好看，但是贵",
    ]:
        for finding in check_reply(reply):
            assert finding.suggestion and any(
                "\u4e00" <= ch <= "\u9fff" for ch in finding.suggestion
            )


def test_a_price_refusal_gets_a_price_rewrite() -> None:
    assert only("我不能给您便宜", "negative").suggestion == NEGATIVE_SUGGESTIONS["price"]


def example_wording(suggestion: str) -> str:
    """The rewrite a suggestion offers: its last 「quoted」 example, else the whole text."""
    if "「" not in suggestion:
        return suggestion
    return suggestion.rsplit("「", 1)[1].split("」", 1)[0]


def test_the_suggested_rewrites_pass_the_checker_themselves() -> None:
    suggestions = [entry.suggestion for entry in read_entries() if entry.suggestion]
    suggestions += list(NEGATIVE_SUGGESTIONS.values()) + list(CURT_SUGGESTIONS.values())
    examples = {example_wording(suggestion) for suggestion in suggestions}
    flagged = {text: check_reply(text) for text in examples if check_reply(text)}
    assert flagged == {}


def test_a_lexicon_row_with_missing_columns_is_reported(tmp_path: Path) -> None:
    for category in ("negative", "absolute", "blame", "rude", "but"):
        (tmp_path / f"{category}.tsv").write_text("不行\tmedium\trefusal\t\n", encoding="utf-8")
    (tmp_path / "rude.tsv").write_text("爱买不买\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rude.tsv:1"):
        read_entries(tmp_path)


# --- the labelled data and the figures it gives ------------------------------------------


@pytest.fixture(scope="module")
def replies() -> list:
    return load_replies("all")


def test_the_labelled_replies_are_enough_and_cover_every_category(replies: list) -> None:
    clean = [reply for reply in replies if not reply.findings]
    per_category = {
        c: sum(1 for r in replies for f in r.findings if f[0] == c) for c in FINDING_CATEGORIES
    }
    assert len(replies) >= 800
    assert 0.4 <= len(clean) / len(replies) <= 0.6
    assert min(per_category.values()) >= 60, per_category


def test_about_a_tenth_of_the_replies_are_traditional(replies: list) -> None:
    from kefu.assist.text import to_simplified

    traditional = [reply for reply in replies if to_simplified(reply.text) != reply.text]
    assert len(traditional) / len(replies) >= 0.08


def test_almost_no_clean_labelled_reply_gets_a_finding(replies: list) -> None:
    clean = [reply.text for reply in replies if not reply.findings]
    flagged = [text for text in clean if check_reply(text)]
    assert len(flagged) / len(clean) <= 0.02, flagged


def test_the_dev_figures_stay_above_the_aims() -> None:
    report = evaluate_checker("dev")
    assert report["false_alarm_rate"] <= 0.05
    assert report["min_f1"] >= 0.90, report["categories"]


def test_an_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="split"):
        evaluate_checker("test")
