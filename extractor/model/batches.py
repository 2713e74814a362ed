"""The OpenAI Batch API's files and batches, behind a small typed service.

The Batch API engine (:mod:`extractor.runs.engines.batchapi`) schedules articles into
batches and collects their answers; everything that talks to the SDK — uploading the
request file, creating, finding, polling a batch, downloading its output — is here,
so the engine imports neither ``openai`` nor any client.

>>> info = BatchInfo(id="batch_1", status="in_progress", created_at=0.0)
>>> info.ended
False
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from extractor.core.errors import ExtractorError

__all__ = ["BatchInfo", "BatchService", "BatchRefused", "ENDPOINT", "ENDED"]

ENDPOINT = "/v1/chat/completions"
# Statuses after which a batch does not change any more.
ENDED = frozenset({"completed", "expired", "cancelled", "failed"})


class BatchRefused(ExtractorError):
    """The endpoint refused the upload or the batch in a way no retry changes (400, 403,
    404, 422). Not a 401: that is about this attempt's key, and the job can still be
    created with the right one."""


@dataclass(frozen=True)
class BatchInfo:
    """What the API says of one batch."""

    id: str
    status: str
    created_at: float
    metadata: Mapping[str, str] = field(default_factory=dict)
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[Mapping[str, object], ...] = ()

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def errors_json(self) -> str | None:
        return json.dumps(list(self.errors), ensure_ascii=False) if self.errors else None


def _info(batch: Any) -> BatchInfo:
    rc = getattr(batch, "request_counts", None)
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    return BatchInfo(
        id=str(batch.id), status=str(batch.status), created_at=float(getattr(batch, "created_at", 0) or 0),
        metadata=dict(getattr(batch, "metadata", None) or {}),
        total=(rc.total if rc else 0) or 0, completed=(rc.completed if rc else 0) or 0,
        failed=(rc.failed if rc else 0) or 0, output_file_id=batch.output_file_id, error_file_id=batch.error_file_id,
        errors=tuple({"code": e.code, "message": e.message, "line": e.line} for e in errors),
    )


class BatchService:
    """Files and batches of one endpoint, over the extractor's own (sync) OpenAI client.

    Every method raises :class:`BatchRefused` for a refusal no retry changes and lets
    other SDK errors (401, connection) through, so that the caller keeps its job.
    """

    def __init__(self, client: Any):
        self._client = client

    def _refusals(self) -> tuple[type[BaseException], ...]:
        import openai

        return (openai.BadRequestError, openai.PermissionDeniedError, openai.NotFoundError,
                openai.UnprocessableEntityError)

    def upload(self, name: str, data: bytes) -> str:
        """Upload a request file; its id."""
        try:
            return str(self._client.files.create(file=(name, data, "application/jsonl"), purpose="batch").id)
        except self._refusals() as exc:
            raise BatchRefused(f"the endpoint refused the request file {name}: {exc}") from None

    def create(self, input_file_id: str, metadata: Mapping[str, str]) -> BatchInfo:
        try:
            batch = self._client.batches.create(input_file_id=input_file_id, endpoint=ENDPOINT,
                                                completion_window="24h", metadata=dict(metadata))
        except self._refusals() as exc:
            raise BatchRefused(f"the endpoint refused the batch: {exc}") from None
        return _info(batch)

    def retrieve(self, batch_id: str) -> BatchInfo:
        return _info(self._client.batches.retrieve(batch_id))

    def recent(self) -> Iterator[BatchInfo]:
        """Batches from the newest back (the API pages through them)."""
        for batch in self._client.batches.list(limit=100):
            yield _info(batch)

    def download(self, file_id: str) -> str:
        return str(self._client.files.content(file_id).text)
