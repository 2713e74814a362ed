"""Offline language detection, zh-Hans vs zh-Hant by script."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.text.language import chinese_script, detect_language

SEEDS = Path("/work/shared/seeds")
EXPECTED = {
    "000_3fada1e31a9a57c2.txt": "fa",
    "001_3bb7291749eaef2f.txt": "zh-Hans",
    "002_db8248fa0f35ca8a.txt": "zh-Hant",
    "003_6b3a9c27e4eb7b2e.txt": "zh-Hant",
    "004_5f1231919d75e752.txt": "zh-Hans",
}
PAGES = {
    "en_clinics.txt": "en", "ar_ministry.txt": "ar", "fa_vaccination.txt": "fa",
    "zh_hans_insurance.txt": "zh-Hans", "zh_hant_hospital.txt": "zh-Hant",
}


@pytest.mark.parametrize("name,lang", EXPECTED.items())
def test_seeds(name, lang):
    assert detect_language((SEEDS / name).read_text(encoding="utf-8")) == lang


@pytest.mark.parametrize("name,lang", PAGES.items())
def test_pages(name, lang):
    path = Path(__file__).parent / "data" / "pages" / name
    assert detect_language(path.read_text(encoding="utf-8")) == lang


def test_short_sentences():
    assert detect_language("The hospital opened a new emergency ward last week.") == "en"
    assert detect_language("افتتحت وزارة الصحة مستشفى جديدا في المدينة يوم الأحد.") == "ar"
    assert detect_language("وزارت بهداشت یک بیمارستان جدید در شهر افتتاح کرد.") == "fa"
    assert detect_language("医院召开了会议。") == "zh-Hans"
    assert detect_language("醫院召開了會議。") == "zh-Hant"


def test_script_and_empty():
    assert chinese_script("国家卫生健康委员会") == "zh-Hans"
    assert chinese_script("國家衛生健康委員會") == "zh-Hant"
    assert detect_language("") is None
    assert detect_language("12345 ... !!!") is None
