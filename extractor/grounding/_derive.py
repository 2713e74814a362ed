"""Deriving a model-facing response model from a user's schema, and turning an answer back.

Label mode and sentence citations both ask the model for something other than the schema's
own fields (a mention id instead of a value, sentence ids instead of a quote). Each builds
a *derived* model: the same classes, with some fields dropped, some added and nested models
replaced by their derived versions; every derived class remembers its source class
(``__extractor_source__``) and what was changed, so that an answer can be turned back into
an instance of the user's schema.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ValidationError, ValidationInfo, create_model, model_validator
from pydantic.fields import FieldInfo

__all__ = ["swap_models", "models_in", "derive_classes", "source_of", "is_derived", "restore", "restore_with_sites",
           "Dropped", "SOURCE_ATTR"]

SOURCE_ATTR = "__extractor_source__"
TAG_ATTR = "__extractor_derivation__"


def swap_models(annotation: Any, mapping: Mapping[type, type]) -> Any:
    """``annotation`` with every model class in ``mapping`` replaced (through lists, dicts,
    optionals and ``Annotated``)."""
    if isinstance(annotation, type) and annotation in mapping:
        return mapping[annotation]
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    args = typing.get_args(annotation)
    if origin is Annotated:
        return Annotated[(swap_models(args[0], mapping), *annotation.__metadata__)]
    new = tuple(swap_models(a, mapping) for a in args)
    if new == args:
        return annotation
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return typing.Union[new]  # noqa: UP007 - built from a tuple
    if origin is typing.Literal:
        return annotation
    try:
        return annotation.copy_with(new)
    except AttributeError:
        return origin[new if len(new) > 1 else new[0]]


def models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []

    def visit(a: Any) -> None:
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
            return
        for arg in typing.get_args(a):
            visit(arg)

    visit(annotation)
    return found


FieldSpec = tuple[Any, FieldInfo]
Change = tuple[set[str], dict[str, FieldSpec]]  # (fields dropped, fields added)
Checker = Callable[[BaseModel, dict[str, Any]], list[str]]


def derive_classes(schema: type[BaseModel], change: Callable[[type[BaseModel]], Change | None], *, tag: str,
                   checker: Checker | None = None, prefix: str = "") -> type[BaseModel]:
    """``schema`` with ``change(model)`` applied to every model class in it (at any depth).

    ``change`` returns the fields to drop and to add for a class, or None to leave it as it is.
    A class that is unchanged but holds a changed class is rebuilt too (its field types change).
    ``checker(instance, context)`` returns problems of a derived instance (raised as one
    validation error, which instructor turns into a re-ask). The top-level class keeps its
    name, so the tool the model is asked to call keeps its name. ``tag`` names the derivation:
    :func:`restore` with the same tag turns back only the classes it made (label mode and
    sentence citations can be stacked).
    """
    built: dict[type, type] = {}
    visiting: set[type] = set()

    def build(model: type[BaseModel]) -> type[BaseModel]:
        if model in built:
            return built[model]
        if model in visiting:  # a recursive schema: left as it is below the first level
            return model
        visiting.add(model)
        children = {c: build(c) for info in model.model_fields.values() for c in models_in(info.annotation)}
        mapping = {c: d for c, d in children.items() if c is not d}
        spec = change(model)
        visiting.discard(model)
        if spec is None and not mapping:
            built[model] = model
            return model
        dropped, added = spec or (set(), {})
        fields: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            if name in dropped:
                continue
            if name in added:
                fields[name] = added[name]
                continue
            fields[name] = (swap_models(info.annotation, mapping), info)
        for name, field_spec in added.items():
            fields.setdefault(name, field_spec)
        validators: dict[str, Any] = {}
        if checker is not None and spec is not None:
            def check(self: BaseModel, info: ValidationInfo) -> BaseModel:
                from extractor.grounding.validation import active_context

                problems = checker(self, active_context(info))
                if problems:
                    raise ValueError("; ".join(problems))
                return self

            validators["_extractor_check_ids"] = model_validator(mode="after")(check)
        derived = create_model(
            (model.__name__ if model is schema else f"{prefix}{model.__name__}"),
            __config__=model.model_config,
            __doc__=model.__doc__,
            __module__=model.__module__,
            __validators__=validators or None,
            **fields,
        )
        setattr(derived, SOURCE_ATTR, model)
        setattr(derived, TAG_ATTR, tag)
        built[model] = derived
        return derived

    return build(schema)


def source_of(model: type[BaseModel]) -> type[BaseModel]:
    """The class a derived class was made from (the class itself when it is not derived)."""
    source: type[BaseModel] = getattr(model, SOURCE_ATTR, model)
    return source


def is_derived(model: type[BaseModel], tag: str | None = None) -> bool:
    """Whether ``model`` is a derived class (of derivation ``tag`` when given), or a subclass
    of one (as the quote validator makes)."""
    return hasattr(model, SOURCE_ATTR) and (tag is None or getattr(model, TAG_ATTR, None) == tag)


class Dropped(Exception):
    """Raised by a fill hook: this object cannot be turned back (its list drops it)."""


PathPart = str | int
Fill = Callable[[BaseModel, dict[str, Any], tuple[PathPart, ...]], dict[str, Any]]
Built = Callable[[BaseModel, BaseModel, tuple[PathPart, ...]], None]


def restore(obj: Any, fill: Fill, built: Built | None = None, path: tuple[PathPart, ...] = (),
            problems: list[str] | None = None, *, tag: str) -> Any:
    """An answer of a derived model (derivation ``tag``) turned back into its source classes.

    ``fill(answer_object, values, path)`` turns a derived object's (already restored) field
    values into its source class's values, or raises :class:`Dropped`; ``built(answer_object,
    new_object, path)`` is told of every object made. A list item that is dropped (or whose
    values the source class rejects) leaves its list, with its reason in ``problems``; any
    other object that cannot be made raises ``ValueError``.
    """
    problems = problems if problems is not None else []
    if isinstance(obj, BaseModel) and is_derived(type(obj), tag):
        values = {name: restore(getattr(obj, name), fill, built, path + (name,), problems, tag=tag)
                  for name in type(obj).model_fields}
        values = fill(obj, values, path)
        try:
            new = source_of(type(obj)).model_validate(values)
        except ValidationError as exc:
            raise Dropped(f"{_path_str(path)}: {exc.errors()[0]['msg']}") from exc
        if built is not None:
            built(obj, new, path)
        return new
    if isinstance(obj, list):
        out = []
        for i, item in enumerate(obj):
            try:
                out.append(restore(item, fill, built, path + (i,), problems, tag=tag))
            except Dropped as exc:
                problems.append(str(exc))
        return out
    if isinstance(obj, dict):
        return {k: restore(v, fill, built, path + (str(k),), problems, tag=tag) for k, v in obj.items()}
    return obj


def _path_str(path: tuple[PathPart, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "$"


SiteT = TypeVar("SiteT")
SiteFill = Callable[[BaseModel, dict[str, Any], tuple[PathPart, ...]], tuple[dict[str, Any], SiteT | None]]


def restore_with_sites(answer: Any, fill: SiteFill[SiteT], *, tag: str, failure: str
                       ) -> tuple[Any, dict[int, SiteT], list[str]]:
    """:func:`restore`, keeping what ``fill`` says of each object besides its values (where its
    evidence stands): ``(data, sites by id() of each object made, problems)``. An answer that
    cannot be restored at all raises ``ValueError`` starting with ``failure``."""
    sites: dict[int, SiteT] = {}
    pending: dict[int, SiteT] = {}

    def values_of(obj: BaseModel, values: dict[str, Any], path: tuple[PathPart, ...]) -> dict[str, Any]:
        values, site = fill(obj, values, path)
        if site is not None:
            pending[id(obj)] = site
        return values

    def built(obj: BaseModel, new: BaseModel, path: tuple[PathPart, ...]) -> None:
        site = pending.pop(id(obj), None)
        if site is not None:
            sites[id(new)] = site

    problems: list[str] = []
    try:
        data = restore(answer, values_of, built, (), problems, tag=tag)
    except Dropped as exc:
        raise ValueError(f"{failure}: {exc}") from exc
    return data, sites, problems
