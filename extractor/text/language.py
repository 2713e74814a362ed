"""Offline language detection for the languages the library handles.

The detector is lingua, restricted to Chinese, Persian, Arabic and English plus a few
neighbours that they are confused with (Urdu, Japanese, Korean, French, German,
Spanish, Russian, Turkish), built once on first use: building it for all 75 languages
costs seconds and hundreds of megabytes, and an unrestricted detector confuses short
Persian with Urdu or Arabic more often than a restricted one.

Chinese is reported as ``zh-Hans`` or ``zh-Hant`` by script, decided with OpenCC:
converting traditional text to simplified changes many of its characters, while
simplified text barely changes.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from .textnorm import strip_pinyin

__all__ = ["detect_language", "chinese_script", "traditional_ratio"]

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

_lock = threading.Lock()
_detector = None


def _get_detector() -> Any:
    """Build the lingua detector once (lazily, thread-safe)."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                langs = [
                    Language.CHINESE, Language.PERSIAN, Language.ARABIC, Language.ENGLISH,
                    Language.URDU, Language.JAPANESE, Language.KOREAN, Language.FRENCH,
                    Language.GERMAN, Language.SPANISH, Language.RUSSIAN, Language.TURKISH,
                ]
                _detector = LanguageDetectorBuilder.from_languages(*langs).build()
    return _detector


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


def detect_language(text: str, *, sample_chars: int = 4000) -> str | None:
    """Detect the language of ``text``.

    Returns ``'zh-Hans'``, ``'zh-Hant'``, ``'fa'``, ``'ar'``, ``'en'`` or another ISO 639-1
    code, or ``None`` when the text has too few letters to tell. Only the first
    ``sample_chars`` characters are looked at: enough for a news page, and it bounds cost.
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
    lang = _get_detector().detect_language_of(sample)
    code = lang.iso_code_639_1.name.lower() if lang is not None else None
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
