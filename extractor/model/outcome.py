"""What one structured model call returns, kept apart from the client so that code which
only handles answers (the pipeline, stored answers) does not import openai."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from extractor.core.types import Usage

__all__ = ["CallOutcome"]


@dataclass(frozen=True)
class CallOutcome:
    """One structured call: the parsed answer and what it cost."""

    data: BaseModel
    usage: Usage
    warnings: tuple[str, ...] = ()  # e.g. the last answer was accepted without the quote check
