"""Paths through the spec's pydantic models: the fields of a model and the model a field path leads
to (for errors that name the valid keys). No model is defined here, so the spec model and the rate
card model can both use it."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def submodel(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class found by following `loc` from `model` (None when loc leaves the models)."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        current = _unwrap(annotation, typing)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any, typing: Any) -> Any:
    for arg in (typing.get_args(annotation) or (annotation,)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = typing.get_args(arg)
        for a in inner:
            if isinstance(a, type) and issubclass(a, BaseModel):
                return a
    return annotation
