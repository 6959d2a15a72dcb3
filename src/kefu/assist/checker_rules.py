"""Context rules that confirm or drop a lexicon hit of the reply checker.

A phrase alone is not enough: 不能 is a refusal in 不能退 but a product fact in
不能机洗, 一定 is a promise in 一定明天到 but effort in 一定尽快为您处理, and 但是
cancels praise (很好看，但是……) but brings good news after bad (缺货，但是下周补货).
Every rule reads the normalised reply around the hit, mostly inside its clause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kefu.assist.checker_lexicon import Lexicon

CLAUSE_BREAKS = frozenset("，。！？；、,.!?;~～…\n\t :：")
PARTICLES = frozenset("哦呢的了啊呀哈啦喔哟滴嘛亲吧噢~～")
QUESTION_ENDINGS = ("吗", "么", "嘛")
CLOSING_QUESTION_CUES = ("什么", "其他", "其它", "还有")
HEDGED_OBJECTS = ("保证", "确定", "肯定", "保障", "完全", "百分百", "100%")
NEGATED_BEFORE = ("不", "没", "无", "未必")
HEDGES_NEARBY = (
    "不能",
    "无法",
    "没法",
    "不敢",
    "不好说",
    "不一定",
    "没办法",
    "很难",
    "难以",
    "没有",
)
SUBJECT_ADVERBS = (
    "也",
    "是",
    "都",
    "就",
    "还",
    "暂时",
    "实在",
    "真的",
    "确实",
    "真",
    "目前",
    "现在",
)
ENSURE_VERB_BEFORE = (
    "为了",
    "为",
    "需要",
    "要",
    "须",
    "务必",
    "请",
    "并",
    "以",
    "来",
    "才能",
    "能够",
    "得",
    "也",
)
COMPOSITION_AFTER = (
    "纯棉",
    "纯羊",
    "纯麻",
    "纯铜",
    "纯银",
    "纯金",
    "棉",
    "全棉",
    "羊",
    "真丝",
    "桑蚕",
    "涤",
    "聚酯",
    "亚麻",
    "蚕丝",
    "鸭绒",
    "鹅绒",
    "真皮",
    "牛皮",
    "羊皮",
)
BUT_NOT_AFTER = frozenset("再忙比赶说打跑拗熬睡想信看听斗争拼躲逃玩吃过算")
BUT_INTRODUCES_OFFER = (
    "您看",
    "你看",
    "我帮您",
    "我给您",
    "我为您",
    "帮您",
    "为您",
    "给您",
    "我们可以",
    "我可以",
    "可以帮您",
    "可以为您",
)
SELF_BLAME_CUES = (
    "没",
    "不",
    "弄",
    "搞",
    "操作",
    "选错",
    "拍错",
    "看",
    "原因",
    "问题",
    "造成",
    "导致",
    "摔",
    "的",
)


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around text[start:end]: up to the nearest punctuation or space either side."""
    left = start
    while left > 0 and text[left - 1] not in CLAUSE_BREAKS:
        left -= 1
    right = end
    while right < len(text) and text[right] not in CLAUSE_BREAKS:
        right += 1
    return left, right


def previous_clause(text: str, clause_left: int) -> tuple[int, int] | None:
    """The clause before the one starting at clause_left, or None at the start of the reply."""
    right = clause_left
    while right > 0 and text[right - 1] in CLAUSE_BREAKS:
        right -= 1
    if right == 0:
        return None
    left, _ = clause_bounds(text, right - 1, right)
    return left, right


def _starts_with_any(text: str, position: int, words: Sequence[str]) -> bool:
    return any(text.startswith(word, position) for word in words)


def _only_particles(segment: str) -> bool:
    return all(char in PARTICLES for char in segment)


def is_a_not_a_question(text: str, start: int, phrase: str) -> bool:
    """能不能 / 行不行 / 可不可以 / 有没有办法: a question, never a refusal."""
    return start > 0 and len(phrase) > 1 and text[start - 1] == phrase[1]


def offers_alternative(text: str, span_end: int, clause: tuple[int, int], lexicon: Lexicon) -> bool:
    """Whether the reply says what we can do instead (可以换 / 帮您申请 / 建议您……)."""
    left, right = clause
    for match in lexicon.offer_pattern.finditer(text):
        position = match.start()
        if left <= position < span_end:
            continue  # 我不能给您优惠: the refusal's own object is no alternative
        if match.group("can"):
            if position > 0 and text[position - 1] in "不可否":
                continue
            if text.startswith(QUESTION_ENDINGS, position + 2):
                continue
            lookback = text[max(0, position - 6) : position]
            if any(cue in lookback for cue in CLOSING_QUESTION_CUES):
                continue  # 还有什么可以帮您: a closing, not an offer
            return True
        if position < right and not (
            position >= span_end
            and any(connector in text[span_end:position] for connector in ("但", "不过", "而是"))
        ):
            continue  # an offer follows the refusal: later clauses, or after 但是 in its own
        return True
    return False


def is_refusal(text: str, start: int, end: int, *, modal: bool, lexicon: Lexicon) -> bool:
    """A negative-language hit that really refuses the customer something."""
    phrase = text[start:end]
    if is_a_not_a_question(text, start, phrase):
        return False
    left, right = clause_bounds(text, start, end)
    before, after = text[left:start], text[end:right]
    if phrase == "不行" and before.endswith("实在"):
        return False  # 实在不行（的话）: a fallback, not a refusal
    if any(word in before for word in lexicon.context["conditional"]) or "的话" in after:
        return False
    if after.rstrip("".join(PARTICLES)).endswith(QUESTION_ENDINGS) or text[right : right + 1] in (
        "?",
        "？",
    ):
        return False
    if modal:
        if before.endswith(("可能", "也许", "或许")):
            return False  # 可能无法修改成功: a warning, not a refusal
        if after.startswith(HEDGED_OBJECTS):
            return False  # 不能保证明天到: honest, not a refusal
        bare = _only_particles(after)
        requested = _starts_with_any(text, end, lexicon.context["service"])
        first_person = _subject_is_us(before, lexicon.context["first_person"])
        if not (bare or requested or first_person):
            return False  # 不能机洗 / 无法调节: a product fact
    return not offers_alternative(text, end, (left, right), lexicon)


def _subject_is_us(before: str, first_person: Sequence[str]) -> bool:
    """我不能 / 我们也无法 / 小妹这边是无法: we are the ones refusing."""
    stripped = True
    while stripped:
        stripped = False
        for adverb in SUBJECT_ADVERBS:
            if before.endswith(adverb):
                before = before[: -len(adverb)]
                stripped = True
    return before.endswith(tuple(first_person))


def is_absolute_promise(text: str, start: int, end: int, lexicon: Lexicon) -> bool:
    """An intensifier that promises an outcome (一定明天到), not effort or a hedge."""
    phrase = text[start:end]
    left, right = clause_bounds(text, start, end)
    before, after = text[left:start], text[end:right]
    if before.endswith(NEGATED_BEFORE) or any(word in before[-6:] for word in HEDGES_NEARBY):
        return False  # 不一定 / 不能完全跟您保证: honest hedges
    if after.startswith("不了"):
        return False  # 保证不了: a hedge too
    if phrase == "一定" and (
        before.endswith("有") or after.startswith(lexicon.context["adjective"])
    ):
        return False  # 有一定色差 / 一定周期 / 一定要好评
    if phrase == "保证" and (
        before.endswith(ENSURE_VERB_BEFORE) or after.startswith(lexicon.context["adjective"])
    ):
        return False  # 为了保证新鲜 / 保证金
    if phrase == "肯定" and (
        before.endswith(("的", "您", "你"))
        or after.startswith(("是您", "也是您", "是你", "也是你"))
    ):
        return False  # 您的肯定 (praise); 您肯定弄混了 is blame, not a promise
    if phrase in ("100%", "百分百", "百分之百") and after.startswith(COMPOSITION_AFTER):
        return False  # 100%纯棉: a material fact
    if phrase == "永远" and after.startswith("欢迎"):
        return False
    # 一定，这边马上帮您处理: a bare 一定 takes its meaning from the clause after it
    window = text[end : end + 12] if _only_particles(after) else after[:8]
    return not any(word in window for word in lexicon.context["effort"])


def is_blame(text: str, start: int, end: int, rule: str, lexicon: Lexicon) -> bool:
    """您应该 as an instruction, 您自己 pointing at the customer's fault; others always."""
    phrase = text[start:end]
    if phrase.startswith(("您", "你")) and start > 0 and text[start - 1] in "给帮为替":
        return False  # 小妹刚才给您看错了: the agent owns the mistake
    if rule not in ("should", "self"):
        return True
    _, right = clause_bounds(text, start, end)
    after = text[end:right]
    if rule == "self":
        return any(cue in after[:5] for cue in SELF_BLAME_CUES)
    if _starts_with_any(text, end, lexicon.context["probable"]):
        return False  # 您应该明天就能收到: "probably"
    return any(word in after[:6] for word in lexicon.context["instruction"])


def is_cancelling_but(text: str, start: int, end: int, lexicon: Lexicon) -> bool:
    """但是/可是/不过 that cancels an agreeing, praising or positive clause before it."""
    phrase = text[start:end]
    if (
        phrase == "不过"
        and start > 0
        and (text[start - 1] in BUT_NOT_AFTER or "再" in text[max(0, start - 2) : start])
    ):
        return False  # 忙不过来 / 再好不过 (只不过 stays a but)
    if phrase == "不过" and text.startswith(("来", "去", "如此", "意"), end):
        return False
    left, _ = clause_bounds(text, start, end)
    following = text[end:].lstrip(" ，,～~")
    if following.startswith(BUT_INTRODUCES_OFFER):
        return False  # ……，不过我帮您申请了运费券: the turn brings an offer, nothing is cancelled
    if phrase == "可是" and left < start and text[start - 1] not in PARTICLES:
        return False  # 这可是爆款: emphasis, not a turn
    if left < start and not _only_particles(text[left:start]):
        previous: tuple[int, int] | None = (left, start)
    else:
        previous = previous_clause(text, left)
    if previous is None:
        return False  # opens the reply: nothing before it to cancel
    clause = text[previous[0] : previous[1]]
    reach_back = text[max(0, previous[0] - 20) : start]
    if any(word in reach_back for word in lexicon.context["concession"]):
        return False  # 虽然贵一点，但是…… is a concession
    for word in lexicon.context["kind_positive"]:
        clause = clause.replace(word, " ")
    return not any(word in clause for word in lexicon.context["negative_fact"])


def topic_of(text: str, topics: Mapping[str, Sequence[str]]) -> str:
    """The first topic whose cue words occur in the text, else "default"."""
    for topic, cues in topics.items():
        if any(cue in text for cue in cues):
            return topic
    return "default"
