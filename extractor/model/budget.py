"""The per-article budget: an article whose prompt would exceed it is refused before any call.

An 18 MB file of random words was once planned as 7,442 model calls and 29 million
prompt tokens. :data:`Settings.max_article_tokens <extractor.model.settings.Settings>`
(``--max-article-tokens``, default 200,000) caps what one article may send; 0 or None
lifts the cap. Two checks: a quick one on the text's length before it is cleaned and
chunked (every character is at least a quarter of a token), so a huge file is refused
in a second; and one on the estimated prompt tokens of every chunk's messages.

>>> check_article_text("x" * 100, source="a.txt", budget=200_000)
>>> try:
...     check_prompt_tokens(250_000, source="a.txt", budget=200_000)
... except InputError as exc:
...     print(exc.problem[:72])
would send about 250,000 prompt tokens, over the per-article budget of 2
"""

from __future__ import annotations

from extractor.core.errors import InputError

__all__ = ["check_article_text", "check_prompt_tokens", "DEFAULT_MAX_ARTICLE_TOKENS"]

DEFAULT_MAX_ARTICLE_TOKENS = 200_000


def _refuse(source: str | None, what: str, budget: int) -> InputError:
    return InputError(source, f"would send {what} prompt tokens, over the per-article budget of {budget:,} "
                              "(--max-article-tokens); nothing was sent. Split the article, or raise the budget "
                              "(0: no limit)")


def check_article_text(text: str, *, source: str | None, budget: int | None) -> None:
    """Refuse, before any cleaning or chunking, a text too long to fit ``budget`` tokens."""
    if budget and len(text) // 4 > budget:
        raise _refuse(source, f"at least {len(text) // 4:,}", budget)


def check_prompt_tokens(tokens: int, *, source: str | None, budget: int | None) -> None:
    """Refuse an article whose prepared prompts (all chunks) come to more than ``budget`` tokens."""
    if budget and tokens > budget:
        raise _refuse(source, f"about {tokens:,}", budget)
