"""Ray Data for batches beyond one machine (``pip install 'grounded-extractor[ray]'``).

* ``extractor run INPUT... --out OUT --engine ray [--ray-address auto|HOST:PORT]``, or
  ``Extractor.run(..., engine="ray")``: the batch's model calls on a Ray actor pool
  (:class:`RayEngine`), with the same store, exports and resume as the asyncio engine;
* :func:`extract_dataset`: facts for a Ray Dataset you already hold, as a new Dataset.

Importing this module does not import Ray; using it does.
"""

from __future__ import annotations

from extractor.runs.engines.ray import PoolPlan, RayEngine, extract_dataset, plan_pool

__all__ = ["RayEngine", "extract_dataset", "plan_pool", "PoolPlan"]
