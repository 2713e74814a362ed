"""Offline language detection for the languages the library handles.

Scripts decide most of it: Han text is Chinese (simplified or traditional), and the
statistical detector (lingua) only chooses among the candidate languages of the text's
script: Persian or Arabic for Arabic script, English for Latin script, plus any language
the caller adds (``extra`` codes, from ``Settings.extra_languages``). Each candidate set
gets one detector, built on first use and kept: lingua loads a model per candidate, so
fewer candidates mean less start-up time and memory (one candidate needs no model at all),
and a restricted detector confuses short Persian with Urdu less often.

Chinese is reported as ``zh-Hans`` or ``zh-Hant`` by script, decided with OpenCC:
converting traditional text to simplified changes many of its characters, while
simplified text barely changes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .textnorm import strip_pinyin

__all__ = ["detect_language", "chinese_script", "traditional_ratio", "DEFAULT_LANGUAGES"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z]")
# Letters that occur in Persian but not in standard Arabic (and the reverse): a cheap,
# robust tie-breaker when the statistical model is unsure on short text.
_PERSIAN_ONLY = re.compile(r"[پچژگکی]")
_ARABIC_ONLY = re.compile(r"[ةيكى]|ال")

# Share of Han characters that t2s conversion changes, above which text is traditional.
# Simplified text stays below ~1% (a few variant forms); traditional prose is ~15-35%.
_TRADITIONAL_THRESHOLD = 0.05

# The languages the library is built for, by the script they are written in.
DEFAULT_LANGUAGES: tuple[str, ...] = ("zh", "fa", "ar", "en")


@lru_cache(maxsize=8)
def _detector(codes: frozenset[str]) -> Any:
    """A lingua detector over ``codes`` (ISO 639-1), built once per set."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, c.upper()) for c in sorted(codes) if hasattr(IsoCode639_1, c.upper())]
    if len(isos) < 2:  # lingua needs two; the answer is then decided by the script alone
        return None
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


def _candidates(script: str, extra: tuple[str, ...]) -> frozenset[str]:
    base = {"arabic": {"fa", "ar"}, "latin": {"en"}}[script]
    return frozenset(base | {c.lower() for c in extra})


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def traditional_ratio(text: str) -> float:
    """Share of the Han characters in ``text`` that OpenCC t2s would change (0.0-1.0)."""
    han = "".join(_HAN.findall(strip_pinyin(text)))
    if not han:
        return 0.0
    conv = _t2s().convert(han)
    if len(conv) != len(han):  # t2s is char-for-char in practice; guard anyway
        return 1.0 if conv != han else 0.0
    changed = sum(1 for a, b in zip(han, conv) if a != b)
    return changed / len(han)


def chinese_script(text: str) -> str:
    """``'zh-Hant'`` if the Han text is traditional, else ``'zh-Hans'``."""
    return "zh-Hant" if traditional_ratio(text) >= _TRADITIONAL_THRESHOLD else "zh-Hans"


def detect_language(text: str, *, sample_chars: int = 4000, extra: tuple[str, ...] = ()) -> str | None:
    """Detect the language of ``text``.

    Returns ``'zh-Hans'``, ``'zh-Hant'``, ``'fa'``, ``'ar'``, ``'en'`` or another ISO 639-1
    code, or ``None`` when the text has too few letters to tell. Only the first
    ``sample_chars`` characters are looked at: enough for a news page, and it bounds cost.
    ``extra`` adds candidate languages (ISO 639-1) to the script's own.

    >>> detect_language("The hospital opened a new ward.")
    'en'
    """
    sample = text[:sample_chars]
    han = len(_HAN.findall(sample))
    arabic = len(_ARABIC_SCRIPT.findall(sample))
    latin = len(_LATIN.findall(sample))
    if han + arabic + latin < 3:
        return None
    # Script counts settle Chinese outright: lingua sometimes calls short Chinese with
    # kana-free text Japanese, and a page mostly in Han characters is Chinese here.
    if han >= max(arabic, latin / 4) and han >= 3:
        kana = len(re.findall(r"[\u3040-\u30ff]", sample))
        if kana > han * 0.05:
            return "ja"
        return chinese_script(sample)
    code = _statistical_guess(sample, "arabic" if arabic > latin else "latin", extra)
    if arabic > latin and code not in ("fa", "ar", "ur"):
        # The model disagreed with the script; decide between Persian and Arabic by letters.
        code = None
    if arabic > latin and code in (None, "fa", "ar"):
        p = len(_PERSIAN_ONLY.findall(sample))
        a = len(_ARABIC_ONLY.findall(sample))
        if code is None:
            code = "fa" if p >= a else "ar"
    if code == "zh":
        return chinese_script(sample)
    return code


def _statistical_guess(sample: str, script: str, extra: tuple[str, ...]) -> str | None:
    candidates = _candidates(script, extra)
    detector = _detector(candidates)
    if detector is None:
        return next(iter(candidates))
    lang = detector.detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang is not None else None
