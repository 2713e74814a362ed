"""Messages from versioned prompt templates.

>>> t = load_template("default")
>>> (t.name, t.version)
('default', '3')
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from extractor.core.errors import ConfigurationError

__all__ = ["PromptTemplate", "load_template", "list_templates", "build_messages", "form_rules"]

_FILE = re.compile(r"^(?P<name>[\w-]+)\.v(?P<version>[\w.]+)\.md$")


@dataclass(frozen=True)
class PromptTemplate:
    """A versioned prompt: ``system`` and ``user`` messages, plus optional ``rules``
    sections (``[rules.evidence.quote]``, ``[rules.numbers.mention]``...) that
    :func:`build_messages` puts in place of ``${form_rules}`` for the answer form in use."""

    name: str
    version: str
    system: str
    user: str
    description: str = ""
    rules: tuple[tuple[str, str], ...] = ()

    def form_rules(self, *keys: str) -> str:
        """The ``rules.<key>`` sections asked for, in order; a missing one is an error
        (a template that cannot describe the form must not be sent silently)."""
        found = dict(self.rules)
        missing = [k for k in keys if k not in found]
        if missing:
            raise ConfigurationError(f"prompt {self.id} has no [rules.{missing[0]}] section, which this answer form "
                                     "needs: use prompt 'default' (v3 or later) or add the section")
        return "\n".join(found[k] for k in keys)

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"


def _parse(text: str, origin: str) -> PromptTemplate:
    m = re.match(r"\+\+\+\n(.*?)\n\+\+\+\n(.*)", text, re.S)
    if not m:
        raise ConfigurationError(f"prompt {origin}: missing '+++' TOML front matter")
    try:
        meta = tomllib.loads(m.group(1))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"prompt {origin}: bad front matter: {exc}") from exc
    body = m.group(2)
    parts = re.split(r"^\[(system|user|rules\.[\w.]+)\]\s*$", body, flags=re.M)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    if "system" not in sections or "user" not in sections:
        raise ConfigurationError(f"prompt {origin}: needs a [system] and a [user] section")
    for key in ("name", "version"):
        if key not in meta:
            raise ConfigurationError(f"prompt {origin}: front matter lacks {key!r}")
    rules = tuple((k[len("rules."):], v) for k, v in sections.items() if k.startswith("rules."))
    return PromptTemplate(str(meta["name"]), str(meta["version"]), sections["system"], sections["user"],
                          meta.get("description", ""), rules)


def _bundled() -> list[PromptTemplate]:
    return [_parse(entry.read_text(encoding="utf-8"), entry.name)
            for entry in resources.files("extractor.prompts").iterdir() if _FILE.match(entry.name)]


def list_templates() -> dict[str, PromptTemplate]:
    """Bundled templates by name; the highest version of each name wins."""
    found: dict[str, PromptTemplate] = {}
    for t in _bundled():
        best = found.get(t.name)
        if best is None or _version_key(t.version) > _version_key(best.version):
            found[t.name] = t
    return found


def _version_key(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in v.split("."))


def load_template(ref: str) -> PromptTemplate:
    """A template by bundled name (``default``), ``name.vN``, or path to a ``.md`` file."""
    path = Path(ref)
    if ref.endswith(".md") and path.is_file():
        return _parse(path.read_text(encoding="utf-8"), str(path))
    templates = list_templates()
    if ref in templates:
        return templates[ref]
    for t in _bundled():  # an older version by its id, e.g. default.v2
        if t.id == ref:
            return t
    raise ConfigurationError(f"unknown prompt {ref!r}; bundled: {', '.join(sorted(templates))}, "
                             "or a path to a .md file")


def form_rules(template: PromptTemplate, *, labels: bool, evidence: str, needs_ids: bool) -> str:
    """The template's rules for an answer form (numbers typed or named by mention ids;
    evidence quoted or cited by sentence ids). A template written before answer forms
    (no ``${form_rules}``) serves quote mode only."""
    if "${form_rules}" not in template.system:
        if needs_ids:
            raise ConfigurationError(f"prompt {template.id} cannot ask for mention or sentence ids: use prompt "
                                     "'default' (v3 or later), or quote mode (labels=False, evidence_mode='quote')")
        return ""
    return template.form_rules(f"evidence.{evidence}", "numbers.mention" if labels else "numbers.value")


def template_for_schema(schema_name: str, requested: str | None) -> PromptTemplate:
    if requested:
        return load_template(requested)
    templates = list_templates()
    return templates.get(schema_name) or templates["default"]


def build_messages(
    template: PromptTemplate,
    *,
    article: str,
    schema_instructions: str = "",
    language: str | None = None,
    title: str | None = None,
    form_rules: str = "",
) -> list[dict[str, str]]:
    """System and user messages for one chunk of an article.

    The article is fenced by markers carrying a nonce derived from its own text, so
    that an article cannot close the fence itself; the nonce is deterministic so the
    same article gives the same request (cassettes and caches depend on it).
    """
    nonce = hashlib.sha256(article.encode("utf-8")).hexdigest()[:10]
    meta = []
    if language:
        meta.append(f"language: {language}")
    if title:
        meta.append(f"title: {title}")
    values = {
        "article": article,
        "nonce": nonce,
        "schema_instructions": (f"\nAbout this schema: {schema_instructions.strip()}"
                                if schema_instructions.strip() else ""),
        "metadata": (" (" + "; ".join(meta) + ")") if meta else "",
        "form_rules": form_rules,
    }
    return [
        {"role": "system", "content": Template(template.system).safe_substitute(values)},
        {"role": "user", "content": Template(template.user).safe_substitute(values)},
    ]
