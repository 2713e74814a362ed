"""Settings: one typed object passed down through every stage (no globals).

Arguments win over the environment, the environment over the provider profile::

    EXTRACTOR_MODEL, EXTRACTOR_BASE_URL, EXTRACTOR_PROVIDER, EXTRACTOR_API_KEY
    (falling back to the profile's key variable, then OPENAI_API_KEY),
    EXTRACTOR_TIMEOUT, EXTRACTOR_CONNECT_DEADLINE, EXTRACTOR_MAX_REASKS, EXTRACTOR_MAX_TRANSPORT_RETRIES,
    EXTRACTOR_TEMPERATURE, EXTRACTOR_MODE, EXTRACTOR_SCHEMA,
    EXTRACTOR_MAX_LIST_ITEMS, EXTRACTOR_MAX_STRING_CHARS, EXTRACTOR_MAX_ARTICLE_TOKENS

>>> Settings(model="deepseek-chat", provider="deepseek").resolved_base_url()
'https://api.deepseek.com/v1'
"""

from __future__ import annotations

import os
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from extractor.core.errors import ConfigurationError
from extractor.model.providers import Mode, ProviderProfile, get_profile, guess_provider

_ENV = {
    "model": "EXTRACTOR_MODEL",
    "base_url": "EXTRACTOR_BASE_URL",
    "provider": "EXTRACTOR_PROVIDER",
    "api_key": "EXTRACTOR_API_KEY",
    "timeout_s": "EXTRACTOR_TIMEOUT",
    "connect_deadline_s": "EXTRACTOR_CONNECT_DEADLINE",
    "max_reasks": "EXTRACTOR_MAX_REASKS",
    "max_transport_retries": "EXTRACTOR_MAX_TRANSPORT_RETRIES",
    "temperature": "EXTRACTOR_TEMPERATURE",
    "mode": "EXTRACTOR_MODE",
    "schema_ref": "EXTRACTOR_SCHEMA",
    "max_list_items": "EXTRACTOR_MAX_LIST_ITEMS",
    "max_string_chars": "EXTRACTOR_MAX_STRING_CHARS",
    "max_article_tokens": "EXTRACTOR_MAX_ARTICLE_TOKENS",
}


MENTIONS_ONLY_MODEL = "none (mentions only)"
"""The model name records of a mentions-only run are kept under (no model is asked)."""


class _ProfileMemo(dict[tuple[str | None, str | None], ProviderProfile]):
    """The profiles a Settings object resolved: a memo, not part of its value (two settings
    that say the same are equal whatever either has looked up)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ProfileMemo)

    __hash__ = None  # type: ignore[assignment]


class Settings(BaseModel):
    """Everything that changes how an article is extracted.

    The two retry budgets are separate on purpose: ``max_reasks`` is instructor's
    (the answer did not fit the schema or quoted text that is not in the article),
    ``max_transport_retries`` is ours (429, 5xx, timeouts, dropped connections).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Endpoint
    provider: str | None = Field(
        default=None, description="Profile name: openai, azure, deepseek, qwen, ollama, vllm, llamacpp.")
    model: str | None = Field(default=None, description="Model name; the profile's default when not set.")
    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, repr=False)
    mode: Mode | None = Field(default=None, description="instructor mode; the profile's default when not set.")
    temperature: float = 0.0
    max_output_tokens: int | None = 4096
    timeout_s: float = Field(default=120.0, gt=0)
    connect_deadline_s: float = Field(
        default=5.0, gt=0, description="Seconds, retries included, after which an endpoint that does not accept "
        "connections (refused, unknown host, no answer to the connect) is given up on.")
    # Answer bounds for grammar-constrained servers (llama.cpp): maxItems on every list and
    # maxLength on every free-text string of the schema sent, so that a looping model has
    # to close its answer. None (the default) leaves the request as it is; --local sets
    # both for the bundled model (extractor.model.localserver.BUNDLED_MODEL_BOUNDS).
    max_list_items: int | None = Field(
        default=None, ge=1, description="maxItems for every list in the answer's schema.")
    max_string_chars: int | None = Field(
        default=None, ge=1, description="maxLength for every free-text string in the answer's schema.")
    compact_schema: bool = Field(
        default=True, description="Send the answer's JSON schema compact (no titles, no empty defaults, repeated "
        "parts defined once); False: as pydantic writes it.")

    # Retry budgets (kept apart, both reported in Usage)
    max_reasks: int = Field(default=2, ge=0, description="Validation re-asks after the first answer.")
    max_transport_retries: int = Field(default=5, ge=0, description="Retries after transport failures.")
    backoff_initial_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    max_retry_after_s: float = Field(default=120.0, ge=0, description="Longest Retry-After we are willing to honour.")

    # What to extract
    schema_ref: str = Field(default="health_news", description="Schema name, 'module:Class' or 'file.py:Class'.")
    prompt: str | None = Field(default=None, description="Prompt template name; the schema's own, else 'default'.")

    # Input handling
    # A spending cap, not part of the question: an article either fits and is asked the
    # same way, or is refused before any call. Here, not in RunOptions, because it guards
    # one article wherever it is extracted: extract(), a batch and --dry-run alike.
    max_article_tokens: int | None = Field(
        default=200_000, ge=0,
        description="Most prompt tokens one article may send (all its chunks); 0 or None: no limit.")
    clean: bool = True
    chunk_tokens: int | None = Field(
        default=None, description="Token budget per chunk; derived from the context size when None.")
    chunk_overlap_tokens: int = 200
    extra_languages: tuple[str, ...] = Field(
        default=(), description="Languages (ISO 639-1) detected besides zh, fa, ar and en, e.g. ('fr', 'ur').")

    # Grounding
    ungrounded: Literal["drop", "flag"] = "drop"
    fuzzy_threshold: float = Field(default=85.0, ge=0, le=100)
    reask_on_ungrounded: bool = Field(default=True, description=(
        "Re-ask when a quote is not in the article and the answer has grounded facts to keep (an answer that "
        "quotes nothing of the article is accepted as it is: asked again, such a model gained no fact)."))
    check_numbers: bool = True

    # For a server that turns the answer's schema into a grammar (llama.cpp): mention-id fields
    # are held to the article's own ids and each list of such facts asks for one item at least.
    grammar_ids: bool = Field(default=False, description="Hold mention ids to the article's own in the answer "
                                                         "schema (grammar-constrained local servers).")

    # Mentions only: every article read, cleaned and its mentions found; no model is called,
    # no key or model is needed, and the run's rows are the mentions table.
    mentions_only: bool = Field(default=False, description="Find the mentions only; call no model.")

    # The form the model answers in (None: the schema's default: label mode with sentence
    # citations for a schema that marks FromMention fields, quote mode otherwise)
    labels: bool | None = Field(default=None, description="Numbers named by the ids of the mentions the readers found.")
    evidence_mode: Literal["quote", "sentence"] | None = Field(
        default=None, description="Evidence as a verbatim quote, or as the ids of the sentences that state the fact.")

    _profiles: _ProfileMemo = PrivateAttr(default_factory=lambda: _ProfileMemo())

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, v: Any) -> Any:
        return None if v in ("", None) else v

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``EXTRACTOR_*`` variables, with keyword overrides on top."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for field, var in _ENV.items():
            if env.get(var):
                values[field] = env[var]
        if "api_key" not in values:
            provider = overrides.get("provider") or values.get("provider")
            key_var = None
            if provider:
                try:
                    key_var = get_profile(provider).api_key_env
                except ConfigurationError:
                    key_var = None
            for var in filter(None, [key_var, "OPENAI_API_KEY"]):
                if env.get(var):
                    values["api_key"] = env[var]
                    break
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValueError as exc:
            raise ConfigurationError(f"invalid settings: {exc}") from exc

    # Resolution against the profile -------------------------------------------------
    def profile(self) -> ProviderProfile:
        """The provider profile these settings resolve to, read once (the built-in profiles and
        the user's TOML files as they were then): a run asks for it on every request.

        >>> s = Settings(provider="deepseek")
        >>> s.profile() is s.profile(), s.profile().name
        (True, 'deepseek')
        """
        # Keyed by what it depends on: model_copy(update=...) shares the private memo.
        key = (self.provider, self.base_url)
        profile = self._profiles.get(key)
        if profile is None:
            profile = self._profiles[key] = get_profile(self.provider or guess_provider(self.base_url))
        return profile

    def resolved_model(self) -> str:
        if self.mentions_only:
            return MENTIONS_ONLY_MODEL
        model = self.model or self.profile().default_model
        if not model:
            raise ConfigurationError(
                f"no model set for provider {self.profile().name!r}: pass model=... or set EXTRACTOR_MODEL"
            )
        return model

    def resolved_base_url(self) -> str | None:
        return self.base_url or self.profile().base_url

    def resolved_mode(self) -> Mode:
        return self.mode or self.profile().mode

    def resolved_api_key(self) -> str:
        """The key to send; a placeholder for endpoints that need none."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if self.mentions_only:
            return "not-needed"
        profile = self.profile()
        if profile.needs_api_key:
            var = profile.api_key_env or "OPENAI_API_KEY"
            raise ConfigurationError(
                f"no API key for provider {profile.name!r}: pass api_key= or set EXTRACTOR_API_KEY or {var}, "
                "or choose a local provider= (ollama, vllm, llamacpp)"
            )
        return "not-needed"

    def chunk_budget(self, schema_tokens: int) -> int:
        """Tokens of article text per chunk: the context minus schema, prompt and answer."""
        if self.chunk_tokens:
            return self.chunk_tokens
        context = self.profile().context_tokens
        answer = self.max_output_tokens or 4096
        budget = context - schema_tokens - answer - 600  # 600: system prompt and message framing
        # Long contexts are not used to the full: recall drops on very long inputs.
        return max(512, min(budget, 12_000))


class SettingsKeywords(TypedDict, total=False):
    """The fields of :class:`Settings` as keyword arguments (``extract(text, model="x")``), so
    that a type checker catches ``modle=`` or ``timeout_s="60"``. ``tests/test_embedding.py``
    checks that it names every field of :class:`Settings`."""

    provider: str | None
    model: str | None
    base_url: str | None
    api_key: str | SecretStr | None
    mode: Mode | None
    temperature: float
    max_output_tokens: int | None
    timeout_s: float
    connect_deadline_s: float
    max_list_items: int | None
    max_string_chars: int | None
    max_reasks: int
    max_transport_retries: int
    backoff_initial_s: float
    backoff_max_s: float
    max_retry_after_s: float
    schema_ref: str
    prompt: str | None
    clean: bool
    chunk_tokens: int | None
    chunk_overlap_tokens: int
    extra_languages: tuple[str, ...]
    ungrounded: Literal["drop", "flag"]
    fuzzy_threshold: float
    reask_on_ungrounded: bool
    check_numbers: bool
    mentions_only: bool
    grammar_ids: bool
    compact_schema: bool
    max_article_tokens: int | None
    labels: bool | None
    evidence_mode: Literal["quote", "sentence"] | None
