"""A small shape checker for the JSON files ultraplan reads back (Plans, account snapshots, price
files): the first mismatch becomes an InputFileError naming the file, the field path and what was
expected (exit 2), instead of a KeyError deep inside a consumer.

    PLAN = Obj({"name": STR, "stacks": ListOf(Obj({"name": STR}))}, optional={"tags": MapOf(STR)})
    conform(data, PLAN, "plan.json")
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import InputFileError


def is_ref(value: Any) -> bool:
    """A reference object of a Plan (`{"$ref": name, ...}`: a dict, or a read-only mapping such as the
    policy pack's views). Here, with the shapes, so the Plan model and the type tokens both read it."""
    return (type(value) is dict or isinstance(value, Mapping)) and "$ref" in value


class Shape:
    name = "a value"

    def check(self, value: Any, path: tuple) -> None:  # raises _Mismatch; path: the keys from the root
        raise NotImplementedError


class _Mismatch(Exception):
    def __init__(self, path: Any, message: str) -> None:
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

    def check(self, value: Any, path: tuple) -> None:
        if not self._test(value):
            raise _Mismatch(path, f"expected {self.name}, got {_got(value)}")


STR = _Scalar("text", lambda v: isinstance(v, str))
INT = _Scalar("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
# A number a JSON file may hold: finite (Python's json reads NaN and Infinity, which no count or price is).
NUM = _Scalar("a finite number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and (
    isinstance(v, int) or math.isfinite(v)))
BOOL = _Scalar("true or false", lambda v: isinstance(v, bool))
ANY = _Scalar("a value", lambda v: True)


def _is_cidr(value: Any) -> bool:
    import ipaddress

    try:
        return isinstance(value, str) and "/" in value and bool(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return False


CIDR = _Scalar("a CIDR block (e.g. 10.0.0.0/24)", _is_cidr)


class Opt(Shape):
    """The shape, or null."""

    def __init__(self, inner: Shape) -> None:
        self.inner, self.name = inner, f"{inner.name} or null"

    def check(self, value: Any, path: tuple) -> None:
        if value is not None:
            self.inner.check(value, path)


class ListOf(Shape):
    def __init__(self, item: Shape) -> None:
        self.item, self.name = item, "a list"

    def check(self, value: Any, path: tuple) -> None:
        if not isinstance(value, list):
            raise _Mismatch(path, f"expected a list, got {_got(value)}")
        for i, v in enumerate(value):
            self.item.check(v, path + (i,))


class MapOf(Shape):
    """An object with any keys, each value of one shape."""

    def __init__(self, item: Shape) -> None:
        self.item, self.name = item, "an object"

    def check(self, value: Any, path: tuple) -> None:
        if not isinstance(value, dict):
            raise _Mismatch(path, f"expected an object, got {_got(value)}")
        for k, v in value.items():
            self.item.check(v, path + (k,))


class Obj(Shape):
    """An object with required and optional keys (others are allowed: newer writers may add some)."""

    def __init__(self, required: dict[str, Shape], optional: dict[str, Shape] | None = None) -> None:
        self.required, self.optional, self.name = required, optional or {}, "an object"

    def check(self, value: Any, path: tuple) -> None:
        if not isinstance(value, dict):
            raise _Mismatch(path, f"expected an object, got {_got(value)}")
        for key, shape in self.required.items():
            sub = path + (key,)
            if key not in value:
                raise _Mismatch(sub, "required field is missing")
            shape.check(value[key], sub)
        for key, shape in self.optional.items():
            if key in value:
                shape.check(value[key], path + (key,))


class Where(Shape):
    """Every value inside that `test` picks (at any depth) fits `shape`; e.g. each Plan reference."""

    def __init__(self, test, shape: Shape, scalars: bool = False) -> None:
        # scalars: `test` may pick a number or text too (else only objects and lists are visited)
        self.test, self.shape, self.name, self.scalars = test, shape, shape.name, scalars

    def check(self, value: Any, path: tuple) -> None:
        # Iterative: a frontier Plan's inputs are ~10^5 nodes.
        stack: list[tuple[Any, tuple]] = [(value, ())]
        test, pop, push, scalars = self.test, stack.pop, stack.append, self.scalars
        while stack:
            node, where = pop()
            if test(node):
                self.shape.check(node, path + where)
            elif type(node) is dict:
                for k, v in node.items():
                    if type(v) is dict or type(v) is list or (scalars and test(v)):
                        push((v, where + (k,)))
            elif type(node) is list:
                for i, v in enumerate(node):
                    if type(v) is dict or type(v) is list or (scalars and test(v)):
                        push((v, where + (i,)))


def spell(path: Any) -> str:
    """`stacks[0].resources[3].type` from the key path ("stacks", 0, "resources", 3, "type")."""
    if isinstance(path, str):
        return path
    out = ""
    for part in path:
        out = f"{out}[{part}]" if isinstance(part, int) else (f"{out}.{part}" if out else str(part))
    return out


def finite(value: Any) -> bool:
    """Not a float NaN or infinity (Python's json reads `NaN`, `Infinity` and `1e999` as such)."""
    return not (isinstance(value, float) and not math.isfinite(value))


class Both(Shape):
    """The value fits every shape given."""

    def __init__(self, *shapes: Shape) -> None:
        self.shapes, self.name = shapes, shapes[0].name

    def check(self, value: Any, path: tuple) -> None:
        for shape in self.shapes:
            shape.check(value, path)


class ByKey(Shape):
    """An object whose shape depends on the text at one of its keys (a resource by its type)."""

    def __init__(self, key: str, shapes: dict[str, Shape]) -> None:
        self.key, self.shapes, self.name = key, shapes, "an object"

    def check(self, value: Any, path: tuple) -> None:
        if isinstance(value, dict) and isinstance(value.get(self.key), str) and value[self.key] in self.shapes:
            self.shapes[value[self.key]].check(value, path)


def conform(data: Any, shape: Shape, file: str, hint: str | None = None) -> None:
    """Raise an InputFileError (exit 2) naming `file` and the field when `data` does not fit `shape`."""
    try:
        shape.check(data, ())
    except _Mismatch as exc:
        raise InputFileError(file, spell(exc.path) or "<root>", exc.message, hint) from None
    except RecursionError:
        raise InputFileError(file, "<root>", "nested too deeply") from None
