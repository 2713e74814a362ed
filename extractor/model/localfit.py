"""How a request fits the local model: chunk size, answer budget and grammar, measured.

A GGUF model behind ``--local-model`` has its own context size and its own tokenizer,
and the library's token estimate (:func:`~extractor.text.chunking.estimate_tokens`,
one token per CJK or Arabic-script character, one per four ASCII characters) is far
from both: SmolLM2's English vocabulary spends 2.0-2.3 tokens on each Chinese character,
and Qwen's chat template writes the whole tool schema (~3,000 tokens for the built-in
schema) into the prompt. A chunk sized for the provider profile's fixed 8,192 tokens
then overflows, and the server refuses the request.

:func:`plan_local_fit` measures instead, with the server's own tokenizer
(``/extras/tokenize/count``), what one request costs besides the article:

* the prompt without the article (system and user messages, counted as sent);
* the tool schema, when the model's chat template writes tools into the prompt;
* the answer budget (``max_tokens``): the largest answer the schema's grammar allows
  (:func:`extractor.model.bounds.answer_size`, lists at ``maxItems``, strings at
  ``maxLength``), at most an eighth of the context;
* room for one re-ask: the failed answer and the validation message go back in;

and how many model tokens an estimated token of article text costs (the worst of five
calibration sentences: Chinese simplified and traditional, Persian, Arabic, English).
What is left, divided by that ratio, is the chunk size in the library's own estimate,
which is what :meth:`Settings.chunk_budget` and the chunker count in.

>>> fit = plan_local_fit(context_tokens=8192, count_tokens=len,  # a tokenizer of one token a character
...                      prompt_texts=["system prompt", "user prompt"], tool_json=None,
...                      answer=AnswerSize(400, 1000, True), max_reasks=1)
>>> fit.answer_tokens, fit.reask_tokens, fit.text_ratio, fit.chunk_tokens
(1024, 1536, 4.0, 1267)
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from extractor.core.errors import ConfigurationError
from extractor.model.bounds import AnswerSize
from extractor.text.chunking import estimate_tokens

logger = logging.getLogger(__name__)

__all__ = ["CALIBRATION_TEXTS", "LocalFit", "grammar_problem", "plan_local_fit"]

# Health news sentences in the languages the library reads. Their token counts under the
# model's tokenizer, against the library's estimate, give the cost of article text.
CALIBRATION_TEXTS: dict[str, str] = {
    "zh-Hans": "县医共体总医院今年投入资金500余万元，为12家乡镇卫生院配备了数字化影像设备，"
               "全县基层门诊量同比增长18.6%，群众在家门口就能享受县级医院的诊疗服务。",
    "zh-Hant": "縣醫共體總院今年投入資金五百餘萬元，為十二家鄉鎮衛生院配備數位化影像設備，"
               "全縣基層門診量同比增長百分之十八點六，群眾在家門口就能看病。",
    "fa": "به گزارش روابط عمومی دانشگاه علوم پزشکی، ۳ میلیون و ۴۰۰ هزار نفر از خدمات بیمه سلامت "
          "روستایی بهره‌مند شدند و ۱۲ مرکز بهداشتی جدید در استان افتتاح شد.",
    "ar": "أعلنت وزارة الصحة أن برنامج المساعدة الطبية غطى أكثر من ثلاثة ملايين مواطن هذا العام، "
          "وتم افتتاح اثني عشر مركزاً صحياً جديداً في المحافظات الريفية.",
    "en": "The county medical consortium invested more than 5 million yuan this year, equipping 12 "
          "township health centres with digital imaging, and outpatient visits rose 18.6% year on year.",
}

# Tokens a chat template adds around each message (role markers, separators).
MESSAGE_FRAMING_TOKENS = 16
# What a template that renders tools writes around them ("# Tools ... <tools></tools> ...
# return a JSON object with function name and arguments within <tool_call> tags").
TOOL_INSTRUCTIONS_TOKENS = 160
# The answer gets at most this share of the context; the rest is prompt and article. An
# eighth of SmolLM2's 8,192 is 1,024 tokens, 2.5 times its longest bounded answer on the
# seeds; an eighth of 16,384 holds some 25 facts in quote mode.
ANSWER_SHARE = 8
# Never below this unless the grammar's largest answer is smaller.
MIN_ANSWER_TOKENS = 512
# A re-ask sends the failed answer back with instructor's validation message.
REASK_MESSAGE_TOKENS = 512
# The chunker's estimate is per chunk, the tokenizer's per text: a little slack for text
# that tokenises worse than the calibration sentences.
TEXT_MARGIN = 1.10
MIN_CHUNK_TOKENS = 256
# Chunk sizes above this are not used even when they fit (Settings.chunk_budget's cap).
MAX_CHUNK_TOKENS = 12_000


@dataclass(frozen=True)
class LocalFit:
    """What one request to the local model holds, in the model's own tokens, and the chunk
    size (in the library's estimate) that keeps it inside the context."""

    context_tokens: int
    prompt_tokens: int
    tool_tokens: int
    answer_tokens: int
    reask_tokens: int
    text_ratio: float
    chunk_tokens: int
    answer_from: str

    def describe(self) -> str:
        """One line for the log."""
        tools = f" + tool schema {self.tool_tokens}" if self.tool_tokens else ""
        bound = self.answer_from
        return (f"context {self.context_tokens} tokens = prompt {self.prompt_tokens}{tools} + answer "
                f"{self.answer_tokens} ({bound}) + re-ask room {self.reask_tokens} + article text; chunks of "
                f"{self.chunk_tokens} estimated tokens ({self.text_ratio:.2f} model tokens each)")


def text_cost(count_tokens: Callable[[str], int]) -> tuple[float, float]:
    """``(model tokens per estimated token, model tokens per character)`` of article text:
    the worst of the calibration sentences."""
    per_estimate = per_char = 0.0
    for text in CALIBRATION_TEXTS.values():
        n = count_tokens(text)
        per_estimate = max(per_estimate, n / max(1, estimate_tokens(text)))
        per_char = max(per_char, n / len(text))
    return per_estimate, per_char


def plan_local_fit(
    *,
    context_tokens: int,
    count_tokens: Callable[[str], int],
    prompt_texts: Sequence[str],
    tool_json: str | None,
    answer: AnswerSize,
    max_reasks: int,
    answer_tokens: int | None = None,
) -> LocalFit:
    """The chunk size and answer budget for a model with ``context_tokens`` of context.

    Args:
        count_tokens: the model's tokenizer (the server's ``/extras/tokenize/count``).
        prompt_texts: the messages of a request with an empty article.
        tool_json: the tool definition as the chat template writes it into the prompt;
            None when the template does not (the grammar alone then carries the schema).
        answer: the largest answer the response schema allows.
        max_reasks: validation re-asks; with any, room is kept for one.
        answer_tokens: the user's own ``max_output_tokens``; derived when None.

    Raises:
        ConfigurationError: the context leaves no room for article text; the message
            says what takes it.
    """
    per_estimate, per_char = text_cost(count_tokens)
    json_ratio = 1.0
    tool_tokens = 0
    if tool_json:
        tool_tokens = count_tokens(tool_json) + TOOL_INSTRUCTIONS_TOKENS
        json_ratio = count_tokens(tool_json) / max(1, estimate_tokens(tool_json))
    prompt_tokens = sum(count_tokens(t) + MESSAGE_FRAMING_TOKENS for t in prompt_texts)
    if answer_tokens is None:
        largest = math.ceil(answer.syntax_chars / 4 * max(1.0, json_ratio) + answer.text_chars * per_char)
        share = context_tokens // ANSWER_SHARE
        answer_tokens, answer_from = ((largest, "the schema's largest answer") if answer.bounded and largest <= share
                                      else (share, f"1/{ANSWER_SHARE} of the context"))
        if answer_tokens < min(MIN_ANSWER_TOKENS, largest):
            answer_tokens, answer_from = min(MIN_ANSWER_TOKENS, largest), "the minimum"
    else:
        answer_from = "as set"
    reask_tokens = answer_tokens + REASK_MESSAGE_TOKENS if max_reasks > 0 else 0
    room = context_tokens - prompt_tokens - tool_tokens - answer_tokens - reask_tokens
    chunk_tokens = min(MAX_CHUNK_TOKENS, int(room / (per_estimate * TEXT_MARGIN)))
    fit = LocalFit(context_tokens, prompt_tokens, tool_tokens, answer_tokens, reask_tokens,
                   round(per_estimate, 3), chunk_tokens, answer_from)
    if chunk_tokens < MIN_CHUNK_TOKENS:
        raise ConfigurationError(
            f"the local model's context of {context_tokens} tokens leaves no room for article text: "
            f"{fit.describe()}. Use a model with a longer context, lower --max-output-tokens / "
            "max_reasks, or a smaller schema"
        )
    return fit


def grammar_problem(parameters: dict[str, Any]) -> str | None:
    """Why llama.cpp cannot turn a tool's JSON schema into a grammar, or None when it can.

    llama-cpp-python falls back to plain JSON *silently* when the conversion fails: the
    answers would then be JSON but not held to the schema. Checked once per run with
    llama-cpp-python's own converter; None too when llama-cpp-python is not importable
    here (the server may run under another interpreter).
    """
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf
    except Exception:  # noqa: BLE001 - not installed here, or its library does not load
        return None
    try:
        json_schema_to_gbnf(json.dumps(parameters))
    except Exception as exc:  # noqa: BLE001 - the converter raises plain Exceptions
        return f"{type(exc).__name__}: {exc}"
    return None
