"""How often an article's language is flagged ``language_unsupported`` when it should be, and not when it should not.

Data: the translated messages of the system's software (``/usr/share/locale/*/LC_MESSAGES/*.mo``,
GNU gettext catalogues, as Debian ships them): real sentences in dozens of languages, none of
which the detector was tuned on. For each language, up to ``--per-language`` messages of at
least 8 words (15 characters for Chinese, Japanese and Korean), at most one per message id;
English is the catalogues' source strings (the msgids).

    .venv/bin/python scripts/language_flags.py [--per-language 200] [--half tune|test|all] [--seed 23]

Prints, per language: messages, the share detected as a supported language (should be 100% for
en, fa, ar, zh) or flagged (should be 100% for the rest), the share detected as the language
itself, and the codes detected most often.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import random
import re
import sys
from collections import Counter
from pathlib import Path

from extractor.text.language import detect_language, is_supported

# locale folder -> (the language as the readers know it, supported)
LANGUAGES = {
    "en": ("en", True), "fa": ("fa", True), "ar": ("ar", True), "zh_CN": ("zh-Hans", True), "zh_TW": ("zh-Hant", True),
    "fr": ("fr", False), "de": ("de", False), "es": ("es", False), "it": ("it", False), "pt_BR": ("pt", False),
    "nl": ("nl", False), "pl": ("pl", False), "sv": ("sv", False), "tr": ("tr", False), "id": ("id", False),
    "vi": ("vi", False), "ro": ("ro", False), "cs": ("cs", False), "ru": ("ru", False), "uk": ("uk", False),
    "bg": ("bg", False), "ja": ("ja", False), "ko": ("ko", False), "el": ("el", False), "he": ("he", False),
    "hi": ("hi", False), "ur": ("ur", False), "th": ("th", False),
}
_PLACEHOLDER = re.compile(r"%[-+ #0-9.]*[a-zA-Z]|\{[^}]*\}|&|_")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def messages(locale_dir: Path, folder: str) -> list[str]:
    """Translated messages of one locale folder (for ``en``: the source strings), placeholders removed."""
    source_language = folder == "en"
    out: dict[str, str] = {}
    for path in sorted((locale_dir / ("fr" if source_language else folder) / "LC_MESSAGES").glob("*.mo")):
        try:
            with open(path, "rb") as fh:
                catalog: dict[object, str] = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        except Exception:  # a catalogue gettext cannot read is skipped
            continue
        for key, value in catalog.items():
            msgid = key[0] if isinstance(key, tuple) else key
            if not isinstance(msgid, str) or not msgid or not isinstance(value, str) or value == msgid:
                continue
            out.setdefault(msgid, " ".join(_PLACEHOLDER.sub(" ", msgid if source_language else value).split()))
    return [t for t in out.values() if _long_enough(t)]


def _half(text: str) -> str:
    """A split that does not depend on the run: by the text's own hash."""
    return "tune" if hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def _long_enough(text: str) -> bool:
    if len(_CJK.findall(text)) >= 15:
        return True
    return len(re.findall(r"[^\W\d_]+", text)) >= 8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=200)
    parser.add_argument("--locale-dir", type=Path, default=Path("/usr/share/locale"))
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--half", choices=["tune", "test", "all"], default="all",
                        help="the messages whose text hashes even (tune) or odd (test), or all")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{'locale':8} {'n':>4}  {'as expected':>11}  {'the language':>12}  detected as")
    right = total = 0
    for folder, (language, supported) in LANGUAGES.items():
        texts = [t for t in messages(args.locale_dir, folder) if args.half == "all" or _half(t) == args.half]
        if not texts:
            print(f"{folder:8} {0:>4}  (no catalogues)")
            continue
        sample = rng.sample(texts, min(args.per_language, len(texts)))
        codes = Counter(detect_language(t) for t in sample)
        ok = sum(n for code, n in codes.items() if is_supported(code) == supported)
        right, total = right + ok, total + len(sample)
        common = ", ".join(f"{code}: {n}" for code, n in codes.most_common(4))
        exact = 100 * codes[language] / len(sample)
        print(f"{folder:8} {len(sample):>4}  {100 * ok / len(sample):>10.1f}%  {exact:>11.1f}%  {common}")
    print(f"all     {total:>5}  {100 * right / max(total, 1):>10.1f}%  "
          "(supported: not flagged; others: flagged language_unsupported)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
