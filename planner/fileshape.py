"""A small shape checker for the JSON files ultraplan reads back (Plans, account snapshots, price
files): the first mismatch becomes an InputFileError naming the file, the field path and what was
expected (exit 2), instead of a KeyError deep inside a consumer.

    PLAN = Obj({"name": STR, "stacks": ListOf(Obj({"name": STR}))}, optional={"tags": MapOf(STR)})
    conform(data, PLAN, "plan.json")
"""
from __future__ import annotations

from typing import Any

from .errors import InputFileError


class Shape:
    name = "a value"

    def check(self, value: Any, path: str) -> None:  # raises _Mismatch
        raise NotImplementedError


class _Mismatch(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Scalar(Shape):
    def __init__(self, name: str, test) -> None:
        self.name, self._test = name, test

    def check(self, value: Any, path: str) -> None:
        if not self._test(value):
            raise _Mismatch(path, f"expected {self.name}, got {_got(value)}")


STR = _Scalar("text", lambda v: isinstance(v, str))
INT = _Scalar("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUM = _Scalar("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
BOOL = _Scalar("true or false", lambda v: isinstance(v, bool))
ANY = _Scalar("a value", lambda v: True)


class Opt(Shape):
    """The shape, or null."""

    def __init__(self, inner: Shape) -> None:
        self.inner, self.name = inner, f"{inner.name} or null"

    def check(self, value: Any, path: str) -> None:
        if value is not None:
            self.inner.check(value, path)


class ListOf(Shape):
    def __init__(self, item: Shape) -> None:
        self.item, self.name = item, "a list"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _Mismatch(path, f"expected a list, got {_got(value)}")
        for i, v in enumerate(value):
            self.item.check(v, f"{path}[{i}]")


class MapOf(Shape):
    """An object with any keys, each value of one shape."""

    def __init__(self, item: Shape) -> None:
        self.item, self.name = item, "an object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _Mismatch(path, f"expected an object, got {_got(value)}")
        for k, v in value.items():
            self.item.check(v, f"{path}.{k}" if path else str(k))


class Obj(Shape):
    """An object with required and optional keys (others are allowed: newer writers may add some)."""

    def __init__(self, required: dict[str, Shape], optional: dict[str, Shape] | None = None) -> None:
        self.required, self.optional, self.name = required, optional or {}, "an object"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _Mismatch(path, f"expected an object, got {_got(value)}")
        for key, shape in self.required.items():
            sub = f"{path}.{key}" if path else key
            if key not in value:
                raise _Mismatch(sub, "required field is missing")
            shape.check(value[key], sub)
        for key, shape in self.optional.items():
            if key in value:
                shape.check(value[key], f"{path}.{key}" if path else key)


def conform(data: Any, shape: Shape, file: str, hint: str | None = None) -> None:
    """Raise an InputFileError (exit 2) naming `file` and the field when `data` does not fit `shape`."""
    try:
        shape.check(data, "")
    except _Mismatch as exc:
        raise InputFileError(file, exc.path or "<root>", exc.message, hint) from None
    except RecursionError:
        raise InputFileError(file, "<root>", "nested too deeply") from None
