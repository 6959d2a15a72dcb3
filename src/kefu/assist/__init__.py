"""kefu.assist, the coach: reads customers, suggests answers, checks replies, answers FAQs.

Plain Python (no Django). The public API is re-exported lazily so that importing
kefu.assist stays cheap and one missing part never breaks the others:

- analyze(text, context=()) -> Analysis, with Evidence      (analysis.py)
- check_reply(text, extra_terms=()) -> list[Finding]; ShopTerm (checker.py)
- suggest(analysis, limit=6, variables={}) -> list[Suggestion] (scripts.py)
- FaqIndex, FaqEntry, FaqMatch                              (faq.py)
- next_offer(...) -> Offer                                   (bargain.py)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "analyze": "kefu.assist.analysis",
    "Analysis": "kefu.assist.analysis",
    "Evidence": "kefu.assist.analysis",
    "check_reply": "kefu.assist.checker",
    "Finding": "kefu.assist.checker",
    "ShopTerm": "kefu.assist.checker",
    "suggest": "kefu.assist.scripts",
    "Suggestion": "kefu.assist.scripts",
    "FaqIndex": "kefu.assist.faq",
    "FaqEntry": "kefu.assist.faq",
    "FaqMatch": "kefu.assist.faq",
    "next_offer": "kefu.assist.bargain",
    "Offer": "kefu.assist.bargain",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kefu.assist' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
