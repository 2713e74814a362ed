"""The Ray engine: the batch's model calls on a Ray Data actor pool, local or on a cluster.

``extractor run ... --engine ray [--ray-address auto|HOST:PORT]`` and
``Extractor.run(..., engine="ray")`` use :class:`RayEngine`; people who already hold a
``ray.data.Dataset`` of articles use :func:`extract_dataset`.

How a run goes (see the README, 'Beyond one machine', for the operator's view)::

    runner (driver): discover, read, decide ──jobs──▶ window (≤ EXTRACTOR_RAY_WINDOW jobs)
      ──ray.data.from_items, one batch per block──▶ map_batches(ExtractWorker, ActorPoolStrategy)
      each actor: its own HTTP client, ``in_flight`` requests at most, permits from the
      limiter actor; per batch: prepare → model calls → dump_answers → finish, a Parquet
      part under OUT/ray/records written *before* the batch is returned
      ──rows──▶ Answer ──runner──▶ SQLite store (one transaction per article) ──▶ exports

* **One batch per block**, so a killed actor's retried work is only the batches it
  held: ``calls_per_actor × batch_size`` articles at most.
* **Concurrency** means what it means for the asyncio engine: requests in flight
  run-wide. It is split over the actors (:func:`plan_pool`); each actor's transport
  has its own semaphore of that share.
* **Rate limits** are run-wide: a limiter actor (:mod:`extractor.runs.engines.ray_limiter`)
  holds the one :class:`~extractor.model.ratelimit.RateLimiter` every request passes.
* **Records**: the runner writes SQLite from the answers, as for every engine, so the
  outputs are the same by construction; the workers' Parquet parts
  (:mod:`extractor.runs.engines.ray_records`) are the durable copy that a new run hands
  the runner as recovered answers before deciding (a driver that died after the workers
  finished costs 0 calls).
* **Requested twice**: each actor logs the content hashes it starts to
  ``OUT/ray/started/<run>/<actor>.txt`` before the first request; hashes started more
  than once are reported as ``requested_twice``.

Ray is imported only when a run needs it; ``pip install 'grounded-extractor[ray]'``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from extractor.core.distribution import pip_install
from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError
from extractor.core.options import RunOptions
from extractor.runs.engines.base import Answer, Engine, EngineContext, EngineStats, Job
from extractor.runs.engines.ray_records import (
    RECORDS_ENV,
    StartedLog,
    compact,
    document_from_meta,
    document_meta,
    missing_rows,
    records_location,
    requested_twice,
    write_part,
)

logger = logging.getLogger(__name__)

__all__ = ["RayEngine", "PoolPlan", "plan_pool", "extract_dataset", "ExtractWorker", "DatasetWorker",
           "require_ray", "INSTALL_HINT"]

INSTALL_HINT = pip_install("ray")
PER_ACTOR_TARGET = 8          # requests in flight per actor the pool size aims at
CALLS_PER_ACTOR = 2           # batches an actor works on at once (one prepares while the other waits)
DEFAULT_WINDOW = 10_000       # jobs handed to one Ray Data execution (at least; see RayEngine)
WINDOW_FILL_S = 5.0           # a window waits this long at most for more jobs once the pool is free
WINDOW_IDLE_S = 0.5           # ... and stops waiting after this long without a new job
_DONE = object()


def require_ray() -> Any:
    """The ``ray`` module with Ray Data, or a :class:`ConfigurationError` saying how to get it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(f"the ray engine needs Ray Data, which is not installed ({exc}): "
                                 f"{INSTALL_HINT}") from None
    return ray


# --------------------------------------------------------------------------- the pool plan

@dataclass(frozen=True)
class PoolPlan:
    """How a run's ``--concurrency`` is laid out on the cluster.

    ``actors`` extractor actors, each with ``in_flight`` requests at most (so
    ``actors × in_flight ≤ concurrency``), ``actor_cpus`` CPUs claimed by each (for
    scheduling only), ``batch_size`` articles per batch (= per block), and
    ``calls_per_actor`` batches an actor works on at once.
    """

    actors: int
    in_flight: int
    actor_cpus: float
    batch_size: int
    calls_per_actor: int = CALLS_PER_ACTOR

    @property
    def total_in_flight(self) -> int:
        return self.actors * self.in_flight

    @property
    def articles_held_per_actor(self) -> int:
        """Articles one actor holds at most: what a kill of it may make us ask twice."""
        return self.calls_per_actor * self.batch_size

    def describe(self) -> str:
        return (f"{self.actors} actor(s) × {self.in_flight} requests in flight, {self.actor_cpus:g} CPU each, "
                f"batches of {self.batch_size}")


def _env_number(env: Mapping[str, str], name: str, kind: type) -> Any:
    raw = env.get(name)
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, got {raw!r}")
    return value


def plan_pool(concurrency: int, cluster_cpus: float, env: Mapping[str, str] | None = None) -> PoolPlan:
    """The actor pool for ``concurrency`` requests in flight on a cluster of ``cluster_cpus`` CPUs.

    The rule: about :data:`PER_ACTOR_TARGET` (8) requests in flight per actor, so
    ``ceil(concurrency / 8)`` actors, but no more actors than the cluster has CPUs (an
    actor also prepares and grounds its articles: CPU work, and each actor is a process
    to start); then the count near it that wastes the fewest slots when ``concurrency``
    is split evenly (each actor gets ``concurrency // actors``, so the run never has
    more than ``concurrency`` requests in flight). The actors claim half of the
    cluster's CPUs at most (between 0.1 and 1 CPU each), leaving the rest to Ray Data's
    own tasks and the driver; a pool that claims every CPU makes Ray Data wait.

    Overrides (environment): ``EXTRACTOR_RAY_ACTORS``, ``EXTRACTOR_RAY_ACTOR_CPUS``,
    ``EXTRACTOR_RAY_BATCH`` (articles per batch; default: the actor's in-flight share).

    >>> plan_pool(32, 2)
    PoolPlan(actors=2, in_flight=16, actor_cpus=0.5, batch_size=16, calls_per_actor=2)
    >>> plan_pool(32, 16).describe()
    '4 actor(s) × 8 requests in flight, 1 CPU each, batches of 8'
    >>> plan_pool(100, 64).describe()
    '10 actor(s) × 10 requests in flight, 1 CPU each, batches of 10'
    >>> plan_pool(8, 4, {"EXTRACTOR_RAY_ACTORS": "2"}).total_in_flight
    8
    """
    env = os.environ if env is None else env
    cpus = max(float(cluster_cpus or 1.0), 0.1)
    forced = _env_number(env, "EXTRACTOR_RAY_ACTORS", int)
    if forced:
        actors = min(forced, concurrency)
    else:
        target = min(math.ceil(concurrency / PER_ACTOR_TARGET), max(1, math.floor(cpus)))
        low = max(1, math.ceil(target / 2))
        # The most slots used (actors × share), the larger pool on a tie.
        actors = max(range(low, target + 1), key=lambda n: (n * (concurrency // n), n))
    in_flight = max(1, concurrency // actors)
    actor_cpus = _env_number(env, "EXTRACTOR_RAY_ACTOR_CPUS", float)
    if actor_cpus is None:
        actor_cpus = min(1.0, max(0.1, math.floor(cpus / 2 / actors * 100) / 100))
    batch = _env_number(env, "EXTRACTOR_RAY_BATCH", int) or in_flight
    return PoolPlan(actors=actors, in_flight=in_flight, actor_cpus=actor_cpus, batch_size=batch)


# --------------------------------------------------------------------------- what workers need

def _error_fields(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ModelCallError):
        return {"status": "error", "error": str(exc), "error_kind": exc.kind, "error_class": "ModelCallError",
                "attempts": exc.attempts, "last_error": exc.last_error, "model": exc.model}
    if isinstance(exc, ConfigurationError):
        return {"status": "error", "error": str(exc), "error_kind": "configuration",
                "error_class": "ConfigurationError"}
    if isinstance(exc, InputError):
        return {"status": "error", "error": str(exc), "error_kind": "input", "error_class": "InputError"}
    if isinstance(exc, ExtractorError):
        return {"status": "error", "error": str(exc), "error_kind": "internal", "error_class": "ExtractorError"}
    return {"status": "error", "error": f"{type(exc).__name__}: {exc}", "error_kind": "internal",
            "error_class": "ExtractorError"}


def error_of(row: Mapping[str, Any]) -> ExtractorError:
    """The exception a worker's error row stands for (the same message, kind and class)."""
    cls, message = row.get("error_class"), row.get("error") or "unknown error"
    if cls == "ModelCallError":
        return ModelCallError(row.get("error_kind") or "transport", attempts=int(row.get("attempts") or 0),
                              last_error=row.get("last_error") or "", model=row.get("model"))
    if cls == "ConfigurationError":
        return ConfigurationError(message)
    if cls == "InputError":
        return InputError(None, message)
    return ExtractorError(message)


class _WorkerBase:
    """What both Ray Data UDFs share: the extractor built in the actor (from the settings,
    the schema reference and the limiter handle in ``spec``) on its first batch, inside
    the UDF's own event loop, and the rule that no exception ever leaves ``__call__``
    (one would abort the whole dataset): a failure becomes the article's error row."""

    def __init__(self, spec: Any):
        self._spec_ref = spec
        self.spec: dict[str, Any] | None = None
        self.ex: Any = None
        self.setup_error: BaseException | None = None
        self.log: StartedLog | None = None

    def _setup(self) -> None:
        if self.ex is not None or self.setup_error is not None:
            return
        try:
            import ray

            spec = self._spec_ref
            if isinstance(spec, ray.ObjectRef):
                spec = ray.get(spec)
            self.spec = spec
            from extractor.runs.engines.ray_limiter import RemoteRateLimiter

            base = spec["recipe"].build()
            want = spec.get("request_key")
            if want and base.identity.request_key != want:
                ident = base.identity
                raise ConfigurationError(
                    "the Ray workers build a different request than the driver (schema "
                    f"{ident.schema_name}@{ident.schema_version}, prompt {ident.prompt_name}@{ident.prompt_version}): "
                    "install the same version of extractor, the schema's module and the prompts on every node")
            limiter = RemoteRateLimiter(spec["limiter"], spec["rpm"], spec["tpm"], max_in_flight=spec["in_flight"])
            self.ex = base.over_limiter(limiter, pool_size=spec["in_flight"])  # lives as long as the actor
            if spec.get("started_dir"):
                context = ray.get_runtime_context()
                self.log = StartedLog(spec["started_dir"], context.get_actor_id() or f"pid{os.getpid()}",
                                      node=context.get_node_id())
        except BaseException as exc:  # reported on every row; the driver stops the run
            logger.error("the Ray worker cannot start: %s", exc)
            self.setup_error = exc if isinstance(exc, ConfigurationError) else ConfigurationError(
                f"the Ray worker cannot start: {type(exc).__name__}: {exc} (every node needs the same extractor "
                "version and the schema's module importable; see the README, 'Beyond one machine')")

    async def _extract(self, doc: Any) -> dict[str, Any]:
        """One article through the pipeline, as the asyncio engine runs it."""
        from extractor.model.ratelimit import article_gate

        log = self.log
        started = (lambda: log.start(doc.sha256)) if log is not None else None  # as its first request goes
        try:
            with article_gate(lambda: False, on_start=started):
                answer = await self.ex.aanswer(doc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a configuration error: reported on the row, the driver stops the run
            return _error_fields(exc)
        if answer.error is not None or answer.result is None:
            return _error_fields(answer.error or ExtractorError("no result"))
        result = answer.result
        return {"status": "ok", "answers_json": answer.answers_json, "result_json": result.model_dump_json(),
                "document_json": result.document.model_dump_json(), "usage_json": result.usage.model_dump_json(),
                "_facts": result.facts}


class ExtractWorker(_WorkerBase):
    """The Ray Data UDF of :class:`RayEngine`: a batch of jobs (``jid``, ``text``,
    ``meta`` JSON, ``file``) → one row per job, written as a Parquet part first."""

    async def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        rows = batch.to_pylist()
        try:
            self._setup()
            if self.setup_error is not None:
                results = [{"jid": r["jid"], **_error_fields(self.setup_error)} for r in rows]
            else:
                results = list(await asyncio.gather(*(self._job(r) for r in rows)))
                # Off the event loop: the part is fsynced, the actor's other batches keep going.
                persisted = await asyncio.to_thread(self._persist, rows, results)
                for res in results:
                    res["persisted"] = persisted
        except BaseException as exc:  # noqa: BLE001 - nothing may escape (it would abort the dataset)
            results = [{"jid": r["jid"], **_error_fields(exc)} for r in rows]
        return pa.Table.from_pylist([{k: res.get(k) for k in _RESULT_COLUMNS} for res in results],
                                    schema=_result_schema())

    async def _job(self, row: dict[str, Any]) -> dict[str, Any]:
        meta = json.loads(row["meta"])
        doc = document_from_meta(row["text"], meta)
        out = await self._extract(doc)
        out.pop("_facts", None)
        out.update(jid=row["jid"], finished_at=time.time(), sha256=doc.sha256, source=doc.source)
        if out["status"] == "error":
            out.setdefault("document_json", json.dumps(meta, ensure_ascii=False))
        return out

    def _persist(self, rows: list[dict[str, Any]], results: list[dict[str, Any]]) -> bool:
        """The batch's records as one Parquet part, before the batch is handed back; False
        when they could not be written (this node cannot see the records folder)."""
        assert self.spec is not None
        location = self.spec.get("records")
        if not location or not results:
            return False
        if all(r.get("error_class") == "ConfigurationError" for r in results):
            return True  # nothing was asked: the driver stops the run
        if "://" not in location and not os.path.isdir(location):
            return False  # not shared with this node: never scatter records over local disks
        request_key, derive_key = self.spec["request_key"], self.spec["derive_key"]
        parts = [{**res, "file": row.get("file"), "text": row["text"], "request_key": request_key,
                  "derive_key": derive_key if res["status"] == "ok" else None}
                 for row, res in zip(rows, results)]
        try:
            write_part(location, parts)
        except Exception as exc:  # the answers still reach the driver, which stores them
            logger.warning("could not write the records part under %s: %s", location, exc)
            return False
        return True


_RESULT_COLUMNS = ("jid", "status", "error", "error_kind", "error_class", "attempts", "last_error", "model",
                   "answers_json", "result_json", "finished_at", "persisted")


def _result_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("jid", pa.int64()), ("status", pa.string()), ("error", pa.string()),
                      ("error_kind", pa.string()), ("error_class", pa.string()), ("attempts", pa.int64()),
                      ("last_error", pa.string()), ("model", pa.string()), ("answers_json", pa.string()),
                      ("result_json", pa.string()), ("finished_at", pa.float64()), ("persisted", pa.bool_())])


class DatasetWorker(_WorkerBase):
    """The Ray Data UDF of :func:`extract_dataset`: rows with a text column (and
    optional id/title/published) → one row per article."""

    async def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        rows = batch.to_pylist()
        try:
            self._setup()
            results = list(await asyncio.gather(*(self._row(r) for r in rows)))
        except BaseException as exc:  # noqa: BLE001 - nothing may escape (it would abort the dataset)
            results = [{"status": "error", "error": f"{type(exc).__name__}: {exc}", "error_kind": "internal"}
                       for _ in rows]
        return pa.Table.from_pylist(results, schema=_dataset_schema(self.spec or {}))

    async def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        from extractor.text.reading import document_from_text

        spec = self.spec or {}
        text_field, id_field = spec.get("text_field", "text"), spec.get("id_field", "id")
        ident = row.get(id_field)
        out: dict[str, Any] = {"id": None if ident is None else str(ident)}
        if self.setup_error is not None:
            return {**out, **_error_fields(self.setup_error)}
        source = str(ident) if ident is not None else None
        try:
            doc = document_from_text(row.get(text_field), source=source)  # type: ignore[arg-type]
        except ExtractorError as exc:
            return {**out, "source": source, **_error_fields(exc)}
        title, published = row.get("title"), row.get("published")
        if title is not None or published is not None:
            doc = replace(doc, title=doc.title if title is None else str(title),
                          published=doc.published if published is None else str(published))
        if doc.source is None:
            doc = replace(doc, source=doc.sha256[:16])
        res = await self._extract(doc)
        facts = res.pop("_facts", None)
        res.pop("error_class", None)
        res.pop("document_json", None)
        res.update(out, source=doc.source, sha256=doc.sha256,
                   facts_json=json.dumps([f.model_dump(mode="json") for f in facts], ensure_ascii=False)
                   if facts is not None else None)
        return res


_DATASET_COLUMNS = ("id", "source", "sha256", "status", "error", "error_kind", "facts_json", "result_json",
                    "answers_json", "usage_json")


def _dataset_schema(spec: Mapping[str, Any]) -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.string()) for c in _DATASET_COLUMNS])


# --------------------------------------------------------------------------- Ray quieting

class _Quiet:
    """While a run uses Ray: Ray Data's progress bars and Ray's INFO lines are off
    (``EXTRACTOR_RAY_PROGRESS=1`` keeps the progress bars, on stderr). Ray also prints some
    raylet messages to ``sys.stdout``; the command line sends those to stderr for the
    run (a library does not take over its caller's stdout)."""

    def __init__(self) -> None:
        self.active = False

    def enter(self) -> None:
        if self.active:
            return
        self.active = True
        self._levels = {}
        for name in ("ray", "ray.data"):
            lg = logging.getLogger(name)
            self._levels[name] = lg.level
            lg.setLevel(max(lg.level, logging.ERROR))

    def data_context(self, ctx: Any) -> None:
        if not hasattr(self, "_ctx"):
            self._ctx = (ctx, ctx.enable_progress_bars, getattr(ctx, "print_on_execution_start", None))
        ctx.enable_progress_bars = os.environ.get("EXTRACTOR_RAY_PROGRESS", "") not in ("", "0")
        if hasattr(ctx, "print_on_execution_start"):
            ctx.print_on_execution_start = False

    def exit(self) -> None:
        if not self.active:
            return
        self.active = False
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        if hasattr(self, "_ctx"):
            ctx, bars, on_start = self._ctx
            ctx.enable_progress_bars = bars
            if on_start is not None:
                ctx.print_on_execution_start = on_start
            del self._ctx


# --------------------------------------------------------------------------- the engine

def local_instance_config(address: str | None) -> dict[str, Any]:
    """What ``ray.init`` gets when it starts a local instance (none when it joins a cluster).

    Ray starts its workers at nice 15: beside any busy process at nice 0 (a browser,
    another job) they get a few percent of a core, and a laptop run crawls. Our workers
    wait on the network and parse answers; they should share the machine fairly.
    """
    if address or os.environ.get("RAY_ADDRESS"):
        return {}
    return {"_system_config": {"worker_niceness": 0}}


class RayEngine(Engine):
    """Jobs answered by a Ray Data actor pool; see the module docstring.

    ``options.ray_address``: ``None`` starts a local Ray instance (stopped at the end);
    ``auto`` or ``HOST:PORT`` joins a running cluster. A Ray session already started in
    this process (``ray.init`` by the application) is used as it is and left running.
    """

    name = "ray"
    folders = ("records",)
    run_folder = "started"
    keeps_records = True

    @classmethod
    def check_options(cls, options: RunOptions) -> None:
        """A Ray Client address, or no Ray installed, is refused before OUT exists."""
        import importlib.util

        # ray.init reads RAY_ADDRESS when no address is given: refuse ray:// from there too.
        address = options.ray_address or os.environ.get("RAY_ADDRESS", "")
        if address.startswith("ray://"):
            raise ConfigurationError(
                f"ray_address={address!r}: Ray Client (ray://) cannot run Ray Data pipelines in this Ray version "
                "(it fails with \"'Worker' object has no attribute 'core_worker'\"). Run on a node of the "
                "cluster with ray_address='auto', or give the head's HOST:PORT (e.g. 'head:6379'); "
                "see the README, 'Beyond one machine'")
        if importlib.util.find_spec("ray") is None:  # not imported here: that takes seconds
            raise ConfigurationError(f"the ray engine needs Ray Data, which is not installed: {INSTALL_HINT}")

    def __init__(self, context: EngineContext):
        super().__init__(context)
        options = context.options
        self.check_options(options)
        self._ray = require_ray()
        self.records = records_location(options.out)
        if "://" not in self.records and not Path(self.records).is_dir():
            # Workers write only where the folder exists (a node that does not see it keeps
            # no records): we do not create it for them elsewhere than in OUT.
            raise ConfigurationError(f"{RECORDS_ENV}={self.records}: no such folder. Create it on a filesystem "
                                     "every node mounts at the same path, or use an object store URI (s3://...)")
        self.started_dir = context.run_dir
        self.not_persisted = 0
        self.window = _env_number(os.environ, "EXTRACTOR_RAY_WINDOW", int) or max(DEFAULT_WINDOW,
                                                                                 50 * options.concurrency)
        self.plan: PoolPlan | None = None
        self._connected: asyncio.Task[None] | None = None
        self._owns_ray = False
        self._limiter: Any = None
        self._spec_ref: Any = None
        self._threads: list[tuple[threading.Thread, threading.Event]] = []
        self._quiet = _Quiet()
        self._closed = False
        self.started_at = time.monotonic()
        self.first_answer_s: float | None = None
        self.windows = 0

    # Resume --------------------------------------------------------------------------------
    async def recovered(self, done: frozenset[str]) -> AsyncIterator[Answer]:
        """Records the workers wrote that the store lacks (the driver died first)."""
        try:
            rows = await asyncio.to_thread(missing_rows, self.records, self.extractor.identity.request_key, done)
        except Exception as exc:  # resume is an optimisation: the run itself still works
            logger.warning("could not read the Ray workers' records from %s: %s", self.records, exc)
            return
        for row in rows:
            meta = json.loads(row["document_json"] or "{}")
            doc = document_from_meta(row["text"] or "", {**meta, "sha256": row["sha256"], "source": row["source"]})
            job = Job(doc, row["file"])
            if row["status"] == "ok":
                yield Answer(job, answers_json=row["answers_json"], result_json=row["result_json"],
                             derive_key=row["derive_key"])
            else:
                yield Answer(job, error=error_of(row))

    # Ray -------------------------------------------------------------------------------------
    def _connect(self) -> None:
        """Start or join Ray, plan the pool, start the limiter (in a thread: it takes seconds)."""
        ray = self._ray
        if ray.is_initialized():
            self._owns_ray = False
        else:
            ray.init(address=self.options.ray_address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR, **local_instance_config(self.options.ray_address))
            self._owns_ray = True
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        self.plan = plan_pool(self.options.concurrency, cpus)
        settings = self.extractor.settings
        self._limiter = _start_limiter(ray, self.options.rpm, self.options.tpm, settings)
        ident = self.extractor.identity
        self._spec_ref = ray.put({
            "recipe": self.extractor.recipe(), "request_key": ident.request_key,
            "derive_key": ident.derive_key, "limiter": self._limiter, "rpm": self.options.rpm,
            "tpm": self.options.tpm, "in_flight": self.plan.in_flight, "records": self.records,
            "started_dir": str(self.started_dir.resolve()),
        })
        logger.info("ray engine: %s (%g CPUs in the cluster, concurrency %d), records in %s; Ray ready %.1fs "
                    "after the engine started", self.plan.describe(), cpus, self.options.concurrency, self.records,
                    time.monotonic() - self.started_at)

    def _dataset(self, window: list[tuple[int, Job]]) -> Any:
        ray = self._ray
        from ray.data import ActorPoolStrategy, DataContext

        assert self.plan is not None
        self._quiet.data_context(DataContext.get_current())
        plan = self.plan
        rows = [{"jid": jid, "text": job.document.text, "file": job.file,
                 "meta": json.dumps(document_meta(job.document), ensure_ascii=False)} for jid, job in window]
        blocks = max(1, math.ceil(len(rows) / plan.batch_size))
        ds = ray.data.from_items(rows, override_num_blocks=blocks)
        return ds.map_batches(
            # One batch per block (the blocks above hold batch_size rows at most): with a batch
            # size, Ray may bundle two small blocks into one call, past the in-flight bound.
            ExtractWorker, fn_constructor_kwargs={"spec": self._spec_ref}, batch_size=None,
            batch_format="pyarrow", zero_copy_batch=True,
            compute=ActorPoolStrategy(size=min(plan.actors, blocks),
                                      max_concurrent_calls_per_actor=plan.calls_per_actor),
            num_cpus=plan.actor_cpus,
        )

    # The engine interface ------------------------------------------------------------------
    async def answer(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Answer]:
        inbox: asyncio.Queue[Any] = asyncio.Queue[Any](maxsize=self.window)
        collector = asyncio.create_task(self._collect(jobs, inbox))
        next_jid = 0
        try:
            exhausted = False
            while not exhausted:
                # A window: the jobs waiting when the pool is free, plus those that keep
                # coming (until ``window`` jobs, the end, 0.5 s without a job or 5 s of filling).
                # The next window is read while this one runs.
                first = await inbox.get()
                if first is _DONE:
                    break
                await self._ready()  # Ray starts with the first job; meanwhile more jobs arrive
                window, opened = [first], time.monotonic()
                while len(window) < self.window:
                    try:
                        item = inbox.get_nowait()
                    except asyncio.QueueEmpty:
                        if time.monotonic() - opened >= WINDOW_FILL_S:
                            break
                        try:
                            item = await asyncio.wait_for(inbox.get(), timeout=WINDOW_IDLE_S)
                        except TimeoutError:
                            break
                    if item is _DONE:
                        exhausted = True
                        break
                    window.append(item)
                numbered = list(enumerate(window, start=next_jid))
                next_jid += len(window)
                logger.info("ray engine: window %d, %d article(s), %.1fs after the engine started", self.windows + 1,
                            len(window), time.monotonic() - self.started_at)
                async for answer in self._run_window(numbered):
                    yield answer
                await self._compact()
            await collector  # the jobs' own error, if any
        finally:
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)
            await self._count()

    async def _collect(self, jobs: AsyncIterator[Job], inbox: asyncio.Queue[Any]) -> None:
        try:
            async for job in jobs:
                if self._connected is None:  # Ray starts with the first job: a finished run never starts it
                    self._quiet.enter()
                    self._connected = asyncio.create_task(asyncio.to_thread(self._connect))
                await inbox.put(job)
        except asyncio.CancelledError:
            # Not in a ``finally``: cancelled, nobody drains a full inbox any more.
            raise
        except BaseException:
            await inbox.put(_DONE)  # the runner's producer failed: the engine finishes what it took
            raise
        await inbox.put(_DONE)

    async def _ready(self) -> None:
        assert self._connected is not None
        try:
            await self._connected
        except ConfigurationError:
            raise
        except Exception as exc:
            raise ConfigurationError(f"cannot start or join Ray (address {self.options.ray_address or 'local'}): "
                                     f"{type(exc).__name__}: {exc}") from exc

    async def _run_window(self, window: list[tuple[int, Job]], *, retry: bool = False) -> AsyncIterator[Answer]:
        self.windows += 1
        pending = dict(window)
        ds = self._dataset(window)
        loop = asyncio.get_running_loop()
        results: asyncio.Queue[Any] = asyncio.Queue[Any]()
        stop = threading.Event()
        thread = threading.Thread(target=self._drive, args=(ds, results, loop, stop), name="extractor-ray-window",
                                  daemon=True)
        self._threads.append((thread, stop))
        thread.start()
        try:
            while True:
                item = await results.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise ExtractorError(f"the Ray pipeline failed: {type(item).__name__}: {item}") from item
                for row in item.to_pylist():
                    job = pending.pop(row["jid"], None)
                    if job is None:
                        continue  # a block delivered twice: its articles are answered already
                    if row.get("error_class") == "ConfigurationError":
                        raise ConfigurationError(row["error"])
                    if not row.get("persisted"):
                        self.not_persisted += 1
                    if self.first_answer_s is None:
                        self.first_answer_s = time.monotonic() - self.started_at
                        logger.info("ray engine: first answer %.1fs after the engine started", self.first_answer_s)
                    yield self._answer(job, row)
        finally:
            # Stopped early (Ctrl-C, an error): the thread closes the iterator at its next
            # batch, which stops the pool; aclose waits for it before Ray is shut down.
            stop.set()
        if pending:
            if retry:
                for job in pending.values():
                    yield Answer(job, error=ExtractorError("the Ray engine lost this article twice; re-run to retry"))
            else:
                logger.warning("%d article(s) came back from no Ray task; asking again", len(pending))
                async for answer in self._run_window(sorted(pending.items()), retry=True):
                    yield answer

    def _drive(self, ds: Any, results: asyncio.Queue[Any], loop: asyncio.AbstractEventLoop,
               stop: threading.Event) -> None:
        """Iterate the dataset (blocking) in a thread; hand each batch to the event loop."""

        def hand(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(results.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is waiting
                pass

        iterator = None
        try:
            iterator = iter(ds.iter_batches(batch_size=None, batch_format="pyarrow"))
            for table in iterator:
                hand(table)
                if stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the loop, raised there
            hand(exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()  # stops the streaming executor (and its actors) at once
                except Exception:
                    logger.debug("closing the Ray Data iterator failed", exc_info=True)
            hand(_DONE)

    async def _compact(self) -> None:
        """The window's batch parts merged into one file (the next resume opens few files)."""
        try:
            merged = await asyncio.to_thread(compact, self.records)
        except Exception as exc:  # tidying: the parts are still there and still read
            logger.warning("could not compact the records under %s: %s", self.records, exc)
        else:
            if merged:
                logger.debug("compacted %d records part(s) under %s", merged, self.records)

    def _answer(self, job: Job, row: Mapping[str, Any]) -> Answer:
        if row["status"] == "ok":
            return Answer(job, answers_json=row["answers_json"], result_json=row["result_json"])
        return Answer(job, error=error_of(row))

    def count(self) -> EngineStats:
        return self.stats  # filled from the limiter actor as the run ends (_count)

    async def _count(self) -> None:
        if self._limiter is not None:
            try:
                ray = self._ray
                stats = await asyncio.to_thread(ray.get, self._limiter.stats.remote(), timeout=30)
                self.stats.model_calls = int(stats["requests"])
                self.stats.rate_limited = int(stats["rate_limited"])
                self.stats.paused_s = float(stats["paused_s"])
            except Exception as exc:
                logger.warning("could not read the limiter's counts: %s", exc)
        self.stats.requested_twice = requested_twice(self.started_dir)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for thread, stop in self._threads:
            stop.set()
            await asyncio.to_thread(thread.join, 20)
        if self._connected is not None and not self._connected.done():
            await asyncio.gather(self._connected, return_exceptions=True)
        self.stats.requested_twice = requested_twice(self.started_dir)
        if self.not_persisted:
            logger.warning("%d answer(s) were stored by the driver only: their workers could not write %s (a node "
                           "that does not see that folder). For a multi-node run, put the records on a filesystem "
                           "every node mounts at the same path, or an object store: EXTRACTOR_RAY_RECORDS=s3://... "
                           "(see the README, 'Beyond one machine')", self.not_persisted, self.records)
        try:
            if self._limiter is not None:
                try:
                    self._ray.kill(self._limiter)
                except Exception:
                    pass
                self._limiter = None
            if self._owns_ray:
                await asyncio.to_thread(self._ray.shutdown)
        finally:
            self._quiet.exit()


def _start_limiter(ray: Any, rpm: int | None, tpm: int | None, settings: Any) -> Any:
    from extractor.runs.engines.ray_limiter import start_limiter

    return start_limiter(ray, rpm, tpm, settings)


# --------------------------------------------------------------------------- the dataset API

def extract_dataset(ds: Any, options: RunOptions | None = None, *, settings: Any = None, schema: Any = None,
                    extractor: Any = None) -> Any:
    """Facts for every row of a Ray Dataset of articles: a new (lazy) Dataset, one row per article.

    ``ds`` has a text column (``options.text_field``, default ``text``) and optionally
    an id column (``options.id_field``, default ``id``), ``title`` and ``published``.
    The result has ``id``, ``source`` (the id, else the start of the content hash),
    ``sha256``, ``status`` (``ok``/``error``), ``error``, ``error_kind``,
    ``facts_json`` (the facts as a JSON list), ``result_json`` (the whole
    :class:`~extractor.core.types.ExtractionResult`), ``answers_json`` and
    ``usage_json``; write it where you like (``.write_parquet("s3://...")``).

    ``options.concurrency``, ``rpm`` and ``tpm`` are run-wide as for ``extractor run``;
    ``options.out`` is not used (nothing is written but what you write). No SQLite
    store, no resume: for a resumable run over files use ``extractor run --engine ray``.
    Blocks are Ray's retry unit: keep them small (``ds.repartition(n)``) so that a
    killed actor re-asks few articles.

    >>> import ray                                                                   # doctest: +SKIP
    >>> ds = ray.data.read_parquet("s3://news/2024/")                                # doctest: +SKIP
    >>> out = extract_dataset(ds, RunOptions(out=".", concurrency=64, rpm=3000),
    ...                       settings=Settings(provider="deepseek", model="deepseek-chat"))  # doctest: +SKIP
    >>> out.write_parquet("s3://news-facts/2024/")                                   # doctest: +SKIP
    """
    ray = require_ray()
    from ray.data import ActorPoolStrategy

    from extractor.pipeline import ArticlePipeline

    options = options or RunOptions(out=Path("."))
    ex = extractor or ArticlePipeline(settings, schema=schema)
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                 **local_instance_config(None))
    plan = plan_pool(options.concurrency, float(ray.cluster_resources().get("CPU", 1.0)))
    limiter = _start_limiter(ray, options.rpm, options.tpm, ex.settings)
    spec = {"recipe": ex.recipe(), "request_key": ex.identity.request_key,
            "derive_key": ex.identity.derive_key, "limiter": limiter, "rpm": options.rpm, "tpm": options.tpm,
            "in_flight": plan.in_flight, "text_field": options.text_field, "id_field": options.id_field}
    return ds.map_batches(
        DatasetWorker, fn_constructor_kwargs={"spec": ray.put(spec)}, batch_size=plan.batch_size,
        batch_format="pyarrow", compute=ActorPoolStrategy(size=plan.actors,
                                                          max_concurrent_calls_per_actor=plan.calls_per_actor),
        num_cpus=plan.actor_cpus,
    )
