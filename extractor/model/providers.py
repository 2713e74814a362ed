"""Provider profiles: the right defaults for each kind of OpenAI-compatible endpoint.

A profile bundles what differs between endpoints — base URL, the instructor mode they
accept, whether they honour strict JSON schema, context size and price — so that a
team switches from OpenAI to DeepSeek or a local vLLM by name, not by code.

Users add or override profiles in TOML (``extractor.toml`` in the working directory,
or ``providers.toml`` in the user config dir)::

    [providers.my-vllm]
    base_url = "http://gpu-box:8000/v1"
    mode = "tools"
    context_tokens = 32768
    default_model = "Qwen/Qwen2.5-7B-Instruct"
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from extractor.core.errors import ConfigurationError

Mode = Literal["tools", "json_schema", "json", "md_json"]


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6


@dataclass(frozen=True)
class ProviderProfile:
    name: str
    base_url: str | None
    mode: Mode = "tools"
    strict_json_schema: bool = False
    context_tokens: int = 128_000
    default_model: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    needs_api_key: bool = True
    # Per-model prices; '*' applies to any model not listed.
    prices: dict[str, Price] = field(default_factory=dict)
    description: str = ""

    def price_for(self, model: str) -> Price | None:
        if model in self.prices:
            return self.prices[model]
        # Dated snapshots (gpt-4o-mini-2024-07-18) share the base model's price.
        for name, price in self.prices.items():
            if name != "*" and model.startswith(name):
                return price
        return self.prices.get("*")


_FREE = {"*": Price(0.0, 0.0)}

BUILTIN_PROFILES: dict[str, ProviderProfile] = {
    p.name: p
    for p in [
        ProviderProfile(
            name="openai",
            base_url="https://api.openai.com/v1",
            mode="tools",
            strict_json_schema=True,
            context_tokens=128_000,
            default_model="gpt-4o-mini",
            prices={
                "gpt-4o-mini": Price(0.15, 0.60),
                "gpt-4o": Price(2.50, 10.00),
                "gpt-4.1-mini": Price(0.40, 1.60),
                "gpt-4.1-nano": Price(0.10, 0.40),
                "gpt-4.1": Price(2.00, 8.00),
            },
            description="OpenAI API",
        ),
        ProviderProfile(
            name="azure",
            base_url=None,  # https://<resource>.openai.azure.com/openai/v1 — user supplies it
            mode="tools",
            strict_json_schema=True,
            context_tokens=128_000,
            default_model="gpt-4o-mini",
            api_key_env="AZURE_OPENAI_API_KEY",
            prices={"gpt-4o-mini": Price(0.165, 0.66), "gpt-4o": Price(2.75, 11.0)},
            description="Azure OpenAI deployment (v1 API); set base_url to your resource",
        ),
        ProviderProfile(
            name="deepseek",
            base_url="https://api.deepseek.com/v1",
            mode="tools",
            context_tokens=64_000,
            default_model="deepseek-chat",
            api_key_env="DEEPSEEK_API_KEY",
            prices={"deepseek-chat": Price(0.27, 1.10), "*": Price(0.27, 1.10)},
            description="DeepSeek API",
        ),
        ProviderProfile(
            name="qwen",
            base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
            mode="tools",
            context_tokens=128_000,
            default_model="qwen-plus",
            api_key_env="DASHSCOPE_API_KEY",
            prices={"qwen-plus": Price(0.40, 1.20), "qwen-turbo": Price(0.05, 0.20), "qwen-max": Price(1.60, 6.40)},
            description="Qwen via DashScope compatible mode",
        ),
        ProviderProfile(
            name="ollama",
            base_url="http://localhost:11434/v1",
            mode="json_schema",
            context_tokens=8_192,
            default_model="qwen2.5:7b",
            api_key_env=None,
            needs_api_key=False,
            prices=_FREE,
            description="Ollama on this machine",
        ),
        ProviderProfile(
            name="vllm",
            base_url="http://localhost:8000/v1",
            mode="json_schema",
            context_tokens=32_768,
            api_key_env="VLLM_API_KEY",
            needs_api_key=False,
            prices=_FREE,
            description="vLLM OpenAI-compatible server",
        ),
        ProviderProfile(
            name="openai_compatible",
            base_url=None,  # the user's --base-url
            mode="tools",
            context_tokens=32_768,
            api_key_env=None,
            needs_api_key=False,
            description="any OpenAI-compatible server at the --base-url given (LM Studio, vLLM, llama.cpp, a "
                        "proxy...): the model is the one you name",
        ),
        ProviderProfile(
            name="llamacpp",
            base_url="http://127.0.0.1:8080/v1",
            # llama.cpp's server rejects response_format json_schema; tools with
            # tool_choice are grammar-constrained there.
            mode="tools",
            context_tokens=8_192,
            default_model="local",
            api_key_env=None,
            needs_api_key=False,
            prices=_FREE,
            description="llama.cpp server (also the embedded --local model)",
        ),
    ]
}


def _config_paths() -> list[Path]:
    paths = []
    env = os.environ.get("EXTRACTOR_CONFIG")
    if env:
        paths.append(Path(env))
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    paths.append(Path(xdg) / "extractor" / "providers.toml")
    paths.append(Path.cwd() / "extractor.toml")
    return paths


def _profile_from_toml(name: str, table: dict, base: ProviderProfile | None, source: Path) -> ProviderProfile:
    known = {f.name for f in fields(ProviderProfile)} - {"name", "prices"}
    unknown = set(table) - known - {"prices"}
    if unknown:
        raise ConfigurationError(f"{source}: provider {name!r} has unknown keys {sorted(unknown)}; "
                                 f"known: {sorted(known)}")
    values = {k: v for k, v in table.items() if k in known}
    if "mode" in values and values["mode"] not in ("tools", "json_schema", "json", "md_json"):
        raise ConfigurationError(f"{source}: provider {name!r} has mode {values['mode']!r}; "
                                 "use tools, json_schema, json or md_json")
    prices = dict(base.prices) if base else {}
    for model, p in (table.get("prices") or {}).items():
        try:
            prices[model] = Price(float(p["input_per_mtok"]), float(p["output_per_mtok"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"{source}: price for {name}/{model} must have input_per_mtok and output_per_mtok, got {p!r}"
            ) from exc
    if base is None:
        return ProviderProfile(name=name, base_url=values.pop("base_url", None), prices=prices, **values)
    return replace(base, prices=prices, **values)


def load_profiles(extra_files: list[Path] | None = None) -> dict[str, ProviderProfile]:
    """Built-in profiles, overridden or extended by the user's TOML files (later wins)."""
    profiles = dict(BUILTIN_PROFILES)
    for path in [*_config_paths(), *(extra_files or [])]:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{path}: cannot read provider config: {exc}") from exc
        for name, table in (data.get("providers") or {}).items():
            if not isinstance(table, dict):
                raise ConfigurationError(f"{path}: [providers.{name}] must be a table, got {table!r}")
            profiles[name] = _profile_from_toml(name, table, profiles.get(name), path)
    return profiles


def get_profile(name: str) -> ProviderProfile:
    profiles = load_profiles()
    try:
        return profiles[name]
    except KeyError:
        raise ConfigurationError(f"unknown provider {name!r}; known: {', '.join(sorted(profiles))}") from None


def guess_provider(base_url: str | None) -> str:
    """The profile that fits a base URL best (used when only a URL is configured).

    A server on this machine is ``openai_compatible``: which server it is cannot be told
    from its address (llama.cpp's profile is chosen by ``--local`` or ``--provider llamacpp``).

    >>> guess_provider("http://127.0.0.1:8080/v1"), guess_provider("https://api.deepseek.com/v1")
    ('openai_compatible', 'deepseek')
    """
    if not base_url:
        return "openai"
    url = base_url.lower()
    host = (urlsplit(url).hostname or "").strip("[]")
    if host == "localhost" or host.endswith(".localhost") or _is_loopback(host):
        return "openai_compatible"
    for key, name in [
        ("deepseek", "deepseek"),
        ("dashscope", "qwen"),
        ("azure", "azure"),
        (":11434", "ollama"),
        (":8000", "vllm"),
        ("api.openai.com", "openai"),
    ]:
        if key in url:
            return name
    return "openai"


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
