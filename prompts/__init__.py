"""Prompt templates, installed as package data of ``extractor.prompts``.

A template file is ``<name>.v<version>.md``: TOML front matter between ``+++`` lines,
then a ``[system]`` and a ``[user]`` section with ``${placeholders}``. A schema can ship
its own prompt named after it (``health_news.v1.md``); ``default`` works for any schema.
"""
