"""Large jobs through the OpenAI Batch API: submit now, collect later, in two calls.

A run with ``engine="batchapi"`` does both as needed (see
:mod:`extractor.runs.engines.batchapi`); these functions are the two halves for code
that wants them apart, and the ``batch-status`` / ``batch-collect`` commands:

* :func:`submit` runs the inputs on the Batch API engine without collecting anything:
  articles already done or waiting in a batch are skipped, the rest go into one new
  batch, whose id is returned.
* :func:`poll` asks the API for a batch's status (completing a submit that stopped
  half-way first, when no other run holds the folder).
* :func:`collect` runs the batch's own articles again on the engine without
  submitting anything: answers of an ended batch become records, exactly as a run's.
  Collecting again writes nothing new; a collect that crashed half-way is run again.

Both runs go through the one runner, so records, summaries and exports are a normal
run's (:class:`~extractor.core.records.RunSummary`; ``pending`` counts the articles
still waiting).

>>> batch_id = submit(Extractor(settings), ["articles/"], RunOptions(out="out"))   # doctest: +SKIP
>>> poll(Extractor(settings), "out").status                                      # doctest: +SKIP
'in_progress'
>>> collect(Extractor(settings), "out", wait=True).ok                             # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from extractor.core.errors import ConfigurationError, OutputBusyError
from extractor.core.identity import legacy_request_key
from extractor.core.options import RunOptions
from extractor.core.records import RunSummary
from extractor.core.redact import without_userinfo
from extractor.model.batches import ENDED, ENDPOINT
from extractor.runs.engines.batchapi import BATCH_DISCOUNT, JOB_TAG, MAX_BYTES, MAX_REQUESTS, reconcile
from extractor.runs.runner import run_batch
from extractor.store import DB_NAME, OutputLock, Store

if TYPE_CHECKING:
    from extractor.model.settings import Settings
    from extractor.pipeline import ArticleExtractor


class _HasPipeline(Protocol):
    """The public :class:`extractor.Extractor` (above this layer): what it runs is its pipeline."""

    @property
    def pipeline(self) -> ArticleExtractor: ...


Extractor = _HasPipeline

logger = logging.getLogger(__name__)

__all__ = ["submit", "poll", "collect", "BatchStatus", "BatchNotFound", "job_settings", "ENDPOINT",
           "BATCH_DISCOUNT", "JOB_TAG", "BATCH_DIR", "ENDED", "MAX_BYTES", "MAX_REQUESTS", "CollectSummary"]

BATCH_DIR = "batches"

CollectSummary = RunSummary
"""v0.1's name of what :func:`collect` returns: now the run's own summary (``pending``
counts the articles still waiting; ``reused`` those collected before)."""


class BatchNotFound(ConfigurationError):
    """No batch with that id (or none at all) was submitted into this output folder."""


@dataclass
class BatchStatus:
    """What :func:`poll` learnt about a batch."""

    batch_id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    collected: bool = False

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ended"] = self.ended
        return d


def _pipeline(extractor: Extractor | ArticleExtractor) -> ArticleExtractor:
    inner = getattr(extractor, "pipeline", None)
    return cast("ArticleExtractor", inner if inner is not None else extractor)


def _job(store: Store, ref: str | None) -> dict[str, Any]:
    job = store.batch_jobs.get(ref)
    if job is None:
        raise BatchNotFound(f"no batch {ref!r} in {store.out}" if ref else
                            f"no batch was submitted into {store.out}; run a batch with engine='batchapi' first")
    return job


def _store_of(out: str | os.PathLike[str]) -> Store:
    if not (Path(out) / DB_NAME).is_file():
        raise BatchNotFound(f"no batch was submitted into {out} (no {DB_NAME} there)")
    return Store(Path(out))


def job_settings(out: str | os.PathLike[str], batch_id: str | None = None, **overrides: Any) -> Settings:
    """The :class:`Settings` a batch was submitted with (without the key, which comes from
    the environment), so that collecting needs no options repeated; ``overrides`` win."""
    from extractor.model.settings import Settings

    with _store_of(out) as store:
        job = _job(store, batch_id)
    stored = json.loads(job["settings_json"] or "{}")
    # The store keeps no credentials: a base URL with user:password@ comes back from the
    # environment when it is the one the job was sent to.
    env_url = os.environ.get("EXTRACTOR_BASE_URL")
    if env_url and stored.get("base_url") == without_userinfo(env_url):
        stored["base_url"] = env_url
    stored.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.from_env(**stored)


def _options(options: RunOptions | None, out: str | os.PathLike[str] | None, **changes: Any) -> RunOptions:
    if options is None:
        if out is None:
            raise TypeError("give options=RunOptions(out=...) or out=")
        options = RunOptions(out=Path(os.fspath(out)))
    return options.but(engine="batchapi", handle_sigint=False, **changes)


def submit(extractor: Extractor | ArticleExtractor, inputs: list[str | os.PathLike[str]] | list[str],
           options: RunOptions | None = None, *, out: str | os.PathLike[str] | None = None,
           argv: list[str] | None = None, export: bool | None = None) -> str | None:
    """Submit every article under ``inputs`` that needs the model as one Batch API job.

    Articles already done in the store under this extractor's request, and articles
    waiting in a batch not collected yet, are skipped; identical content is sent once;
    inputs that cannot be read become error records at once. A submit that stopped
    half-way before is completed first. Returns the id of the batch this call created
    (or completed), or None when there was nothing new to submit. Holds the output
    folder's lock.
    """
    changes: dict[str, Any] = {"engine_options": {"collect": False}}
    if argv is not None:
        changes["argv"] = tuple(argv)
    if export is not None:
        changes["export"] = export
    opts = _options(options, out, **changes)
    before = _batch_ids(opts.out)
    run_batch(_pipeline(extractor), [os.fspath(i) for i in inputs], opts)
    # The batches this call created, or completed for a submit that had stopped half-way.
    made = [bid for job_id, bid in _batch_ids(opts.out).items() if bid and not before.get(job_id)]
    return made[-1] if made else None


def _batch_ids(out: Path) -> dict[str, str | None]:
    """Job id → batch id of every job written down in ``out``, oldest first."""
    if not (out / DB_NAME).is_file():
        return {}
    with Store(out) as store:
        return {str(j["job_id"]): j["batch_id"] for j in store.batch_jobs.all_jobs()}


def poll(extractor: Extractor | ArticleExtractor, out: str | os.PathLike[str],
         batch_id: str | None = None) -> BatchStatus:
    """The batch's current status (the latest batch of ``out`` when ``batch_id`` is None).

    A submit that stopped half-way is completed first — only when no other command holds
    the folder: a submit still running must not be raced into creating a second batch.
    """
    pipeline = _pipeline(extractor)
    service = pipeline.batch_service()
    with _store_of(out) as store:
        if store.batch_jobs.unresolved():
            try:
                with OutputLock(out, command=list(sys.argv)):
                    reconcile(store.batch_jobs, service)
            except OutputBusyError:
                logger.info("%s is busy (a submit may be running): its unfinished submits are left to it", out)
        job = _job(store, batch_id)
        info = service.retrieve(str(job["batch_id"]))
        store.batch_jobs.set_status(job["job_id"], status=info.status, output_file_id=info.output_file_id,
                                    error_file_id=info.error_file_id, errors_json=info.errors_json())
        return BatchStatus(batch_id=str(job["batch_id"]), status=info.status, total=info.total or job["requests"] or 0,
                           completed=info.completed, failed=info.failed, output_file_id=info.output_file_id,
                           error_file_id=info.error_file_id, collected=job["collected_at"] is not None)


def collect(extractor: Extractor | ArticleExtractor, out: str | os.PathLike[str], batch_id: str | None = None, *,
            wait: bool = False, poll_interval: float = 30.0, argv: list[str] | None = None,
            export: bool = True) -> RunSummary:
    """Store the answers of a batch that has ended: one record per article, exports regenerated.

    Runs the batch's own articles (read again from the files they were submitted from)
    on the Batch API engine without submitting anything; an article whose file was
    deleted, moved, made unreadable or changed since is answered from the text kept at
    submit, with a warning naming the file (``from_submitted`` in the summary). With ``wait`` it polls every
    ``poll_interval`` seconds until the batch has ended, and queues behind another run
    writing ``out``; otherwise a batch still running gives a summary with its articles
    ``pending`` and nothing written. An expired or cancelled batch is collected as far as
    it got: articles without every request answered are error records. Safe to run
    again: articles already collected are reused, not asked.
    """
    pipeline = _pipeline(extractor)
    with _store_of(out) as store:
        job = _job(store, batch_id)
        _check_identity(job, pipeline)
        items = store.batch_jobs.items(str(job["job_id"]))
    paths = sorted({path for _sha, _source, path, *_ in items})
    only = frozenset(sha for sha, *_ in items)
    # The paths are the files the submit read (a link it followed included), and only
    # content whose hash was submitted is taken (``only``): following their links reads
    # nothing the submit did not send.
    opts = _options(None, out, engine_options={"submit": False, "job": str(job["job_id"])}, only=only, wait=wait,
                    poll_interval_s=poll_interval, export=export, argv=tuple(argv) if argv is not None else None,
                    text_field=job.get("text_field") or "text", id_field=job.get("id_field") or "id",
                    follow_symlinks=True)
    return run_batch(pipeline, paths, opts)


def _check_identity(job: dict[str, Any], extractor: ArticleExtractor) -> None:
    identity = extractor.identity
    if job["request_key"] in (identity.request_key, legacy_request_key(identity)):
        return
    raise ConfigurationError(
        f"batch {job['batch_id'] or job['job_id']} was submitted for schema {job['schema_name']}@"
        f"{job['schema_version']}, prompt {job['prompt_name']}@{job['prompt_version']}, model {job['model']} "
        "(and the settings it was submitted with); collect it with the same settings")

