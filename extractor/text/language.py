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

__all__ = ["detect_language", "is_supported", "chinese_script", "traditional_ratio", "DEFAULT_LANGUAGES"]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Scripts of languages the library is not built for: counted so that their text is told
# apart (and flagged) instead of being read as whatever a few Latin letters in it say.
_OTHER_SCRIPTS: dict[str, re.Pattern[str]] = {
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
}
# The language of a script that one language dominates, or the candidates lingua chooses among.
_SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "cyrillic": ("ru", "uk", "bg", "be", "sr", "mk", "kk", "mn"),
    "hangul": ("ko",),
    "greek": ("el",),
    "hebrew": ("he",),
    "devanagari": ("hi",),
    "thai": ("th",),
}
# Latin-script languages lingua tells English from (low-accuracy models: about 25 MB, loaded
# only when a Latin text does not read as English at a glance, see _reads_as_english).
_LATIN_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "id", "tr", "vi", "pl", "sv", "ro")
# Letters that occur in Persian but not in standard Arabic (and the reverse): a cheap,
# robust tie-breaker when the statistical model is unsure on short text.
_PERSIAN_ONLY = re.compile(r"[پچژگکی]")
_ARABIC_ONLY = re.compile(r"[ةيكى]|ال")
# Letters of Urdu that neither Persian nor Arabic uses (ے ں ٹ ڈ ڑ).
_URDU_ONLY = re.compile(r"[\u06d2\u06ba\u0679\u0688\u0691]")
# Common English words that other Latin-script languages do not use as words of their own
# (not "in", "is", "of", "a", "on", "was", "an", "or": Dutch, German, French and Italian have
# them): English prose has 15-40% of them, the others under 10%
# (scripts/language_flags.py measures it).
_ENGLISH_WORDS = frozenset((
    "the", "and", "to", "that", "with", "for", "are", "has", "have", "had", "this", "which", "will", "said",
    "their", "been", "from", "by", "it", "its", "were", "than", "also", "after", "into", "who", "not", "at", "be"))
_WORD = re.compile(r"[^\W\d_]+")

# Share of Han characters that t2s conversion changes, above which text is traditional.
# Simplified text stays below ~1% (a few variant forms); traditional prose is ~15-35%.
_TRADITIONAL_THRESHOLD = 0.05

# The languages the library is built for, by the script they are written in.
DEFAULT_LANGUAGES: tuple[str, ...] = ("zh", "fa", "ar", "en")


def is_supported(language: str | None, extra: tuple[str, ...] = ()) -> bool:
    """Whether the readers are built for ``language`` (a code :func:`detect_language` returns):
    Chinese, Persian, Arabic and English, plus the ``extra`` languages a caller added
    (``Settings.extra_languages``). ``None`` (not detected) is not supported.

    >>> is_supported("zh-Hant"), is_supported("fr"), is_supported("fr", ("fr",)), is_supported(None)
    (True, False, True, False)
    """
    if language is None:
        return False
    base = language.split("-")[0].lower()
    return base in DEFAULT_LANGUAGES or base in {c.lower() for c in extra}


@lru_cache(maxsize=8)
def _detector(codes: frozenset[str], low_accuracy: bool = False) -> Any:
    """A lingua detector over ``codes`` (ISO 639-1), built once per set."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, c.upper()) for c in sorted(codes) if hasattr(IsoCode639_1, c.upper())]
    if len(isos) < 2:  # lingua needs two; the answer is then decided by the script alone
        return None
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
    return (builder.with_low_accuracy_mode() if low_accuracy else builder).build()


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
    code (``'fr'``, ``'ru'``, ``'ja'``…: a language the readers are not built for, see
    :func:`is_supported`), or ``None`` when the text has too few letters to tell. Only the
    first ``sample_chars`` characters are looked at: enough for a news page, and it bounds
    cost. ``extra`` adds candidate languages (ISO 639-1) to the script's own.

    >>> detect_language("The hospital opened a new ward.")
    'en'
    >>> detect_language("L'hôpital du comté a ouvert un nouveau service de cardiologie avec 120 lits.")
    'fr'
    """
    sample = text[:sample_chars]
    han = len(_HAN.findall(sample))
    kana = len(_KANA.findall(sample))
    arabic = len(_ARABIC_SCRIPT.findall(sample))
    latin = len(_LATIN.findall(sample))
    others = {name: len(pattern.findall(sample)) for name, pattern in _OTHER_SCRIPTS.items()}
    if han + kana + arabic + latin + sum(others.values()) < 3:
        return None
    # Script counts settle Chinese outright: lingua sometimes calls short Chinese with
    # kana-free text Japanese, and a page mostly in Han characters is Chinese here.
    if kana > max(han * 0.05, 2) and kana + han >= max(arabic, latin / 4, *others.values()):
        return "ja"
    if han >= max(arabic, latin / 4, *others.values()) and han >= 3:
        return chinese_script(sample)
    script, count = max(others.items(), key=lambda item: item[1])
    if count > max(arabic, latin):
        return _other_script_language(sample, script)
    if arabic > latin:
        return _arabic_script_language(sample, extra)
    return _latin_script_language(sample, extra)


def _arabic_script_language(sample: str, extra: tuple[str, ...]) -> str | None:
    if len(_URDU_ONLY.findall(sample)) >= 3:
        return "ur"
    code = _statistical_guess(sample, "arabic", extra)
    if code not in ("fa", "ar", "ur"):
        # The model disagreed with the script; decide between Persian and Arabic by letters.
        code = None
    if code is None:
        p = len(_PERSIAN_ONLY.findall(sample))
        a = len(_ARABIC_ONLY.findall(sample))
        code = "fa" if p >= a else "ar"
    return code


def _latin_script_language(sample: str, extra: tuple[str, ...]) -> str | None:
    if _reads_as_english(sample):
        return "en"
    candidates = frozenset(_LATIN_LANGUAGES) | {c.lower() for c in extra}
    lang = _detector(candidates, low_accuracy=True).detect_language_of(sample)
    code = lang.iso_code_639_1.name.lower() if lang is not None else None
    if code == "zh":
        return chinese_script(sample)
    return code


def _reads_as_english(sample: str) -> bool:
    """English prose at a glance (its function words), so that most English pages need no
    model; a text of fewer than 8 words is too short to tell and stays English, the Latin
    script's language here (as before other Latin languages were told apart).

    >>> _reads_as_english("The county opened three clinics with funds from the state."), _reads_as_english(
    ...     "El condado abrió tres clínicas con fondos del estado y del municipio.")
    (True, False)
    """
    words = _WORD.findall(sample.lower())
    return len(words) < 8 or sum(w in _ENGLISH_WORDS for w in words) >= 0.10 * len(words)


def _other_script_language(sample: str, script: str) -> str | None:
    languages = _SCRIPT_LANGUAGES[script]
    detector = _detector(frozenset(languages), low_accuracy=True) if len(languages) > 1 else None
    if detector is None:
        return languages[0]
    lang = detector.detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang is not None else languages[0]


def _statistical_guess(sample: str, script: str, extra: tuple[str, ...]) -> str | None:
    candidates = _candidates(script, extra)
    detector = _detector(candidates)
    if detector is None:
        return next(iter(candidates))
    lang = detector.detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang is not None else None
