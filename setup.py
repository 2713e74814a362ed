"""Only what pyproject.toml cannot say: the package list is found, not written out.

setuptools' ``packages.find`` cannot be combined with the ``package-dir`` mapping of the
repo's top-level ``schemas/`` and ``prompts/`` into ``extractor.schemas`` and
``extractor.prompts``, so the two are added to what ``find_packages`` finds.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["extractor", "extractor.*"]) + ["extractor.schemas", "extractor.prompts"])
