"""Built-in schemas, installed as ``extractor.schemas``.

Each schema is a Pydantic model with ``schema_name`` and ``schema_version`` class
attributes; the registry (:mod:`extractor.model.registry`) finds them by name.
"""

BUILTIN_SCHEMAS = {
    "health_news": "extractor.schemas.health_news:HealthNewsArticle",
}
