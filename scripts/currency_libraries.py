#!/usr/bin/env python
"""Score candidate currency-name packages on the currency words the money issue lists.

Each candidate's currency names (in Chinese, Arabic, Persian and English where it has them) are
looked up with the word as news writes it (港币, ريال قطري, تومان, Pakistani rupee); a hit is a
name that maps to the word's ISO 4217 code. Candidates that are not installed are skipped, so
the script runs anywhere; install them ad hoc::

    pip install babel pycountry iso4217
    python scripts/currency_libraries.py

Always exits 0: a measurement that informed the choice recorded in docs/numbers.md (Babel, whose
CLDR names extractor.numbers.currency uses, plus the news forms CLDR does not list).
"""

from __future__ import annotations

import gettext
import sys

# word as news writes it -> ISO code (the currencies issue 21 lists)
WORDS = {
    "人民币": "CNY", "港元": "HKD", "港币": "HKD", "新台币": "TWD", "新臺幣": "TWD", "澳门元": "MOP", "美元": "USD",
    "欧元": "EUR", "英镑": "GBP", "日元": "JPY", "دولار": "USD", "دلار": "USD", "يورو": "EUR", "یورو": "EUR",
    "جنيه إسترليني": "GBP", "ریال": "IRR", "تومان": "IRT", "افغانی": "AFN", "ريال سعودي": "SAR",
    "درهم إماراتي": "AED", "ريال قطري": "QAR", "دينار كويتي": "KWD", "جنيه مصري": "EGP", "دينار عراقي": "IQD",
    "دينار أردني": "JOD", "ليرة لبنانية": "LBP", "ليرة تركية": "TRY", "rupee": "INR", "Pakistani rupee": "PKR",
}


def _add(names: dict[str, str], name: str, code: str) -> None:
    names.setdefault(name, code)
    names.setdefault(name.lower(), code)


def babel_names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for loc in ("zh", "zh_Hant", "ar", "fa", "en"):
        for code, name in Locale.parse(loc).currencies.items():
            _add(names, name, code)
    return names


def pycountry_names() -> dict[str, str]:
    import pycountry

    names: dict[str, str] = {}
    for loc in ("zh_CN", "zh_TW", "ar", "fa", "en"):
        try:
            tr = gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=[loc])
        except OSError:
            continue
        for c in pycountry.currencies:
            _add(names, tr.gettext(c.name), c.alpha_3)
    return names


def iso4217_names() -> dict[str, str]:
    import iso4217

    names: dict[str, str] = {}
    for c in iso4217.Currency:
        _add(names, c.currency_name, c.code)
    return names


def main() -> int:
    for label, load in (("babel (CLDR)", babel_names), ("pycountry (iso4217 gettext)", pycountry_names),
                        ("iso4217", iso4217_names)):
        try:
            names = load()
        except ImportError:
            print(f"{label}: not installed, skipped")
            continue
        hits = [w for w, c in WORDS.items() if (names.get(w) or names.get(w.lower())) == c]
        missed = [w for w in WORDS if w not in hits]
        print(f"{label}: {len(hits)}/{len(WORDS)} words named; missing: {' / '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
