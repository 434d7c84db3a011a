"""What the pulumi_aws Python SDK says about a type token: its class, and its input and output names.

Everything here is read from the SDK's own metadata, never guessed:

- type token -> class: the table pulumi_aws registers with the runtime for rehydrating resource
  references (``_utilities.register(resource_modules=...)``: ``{"mod": "ec2/launchTemplate",
  "fqn": "pulumi_aws.ec2", "classes": {"aws:ec2/launchTemplate:LaunchTemplate": "LaunchTemplate"}}``),
  with the mechanical reading of the token (module = the part before ``/``, class = the last part)
  only as a fallback for a package that registers no table;
- engine (camelCase) name -> Python (snake_case) name: each ``@pulumi.input_type`` class's
  ``@pulumi.getter(name="...")`` metadata, the same table the runtime uses to translate the other way
  when it serialises the inputs (``pulumi._types.input_type_py_to_pulumi_names``), recursing into
  nested input types through the getters' return types;
- output attribute names: ``pulumi._types.resource_pulumi_to_py_names`` on the resource class.

An input the SDK does not know is an error naming the resource, the input path and the closest
valid names: the Plan is wrong (a compiler bug), and guessing here would hide it.
"""
from __future__ import annotations

import collections.abc
import difflib
import functools
import importlib
import sys
import typing
from dataclasses import dataclass
from typing import Any, Callable

from planner.errors import UltraplanError
from planner.plan.model import is_ref


class PlanInputError(UltraplanError):
    """A Plan resource has an input (or type token) that the pulumi_aws SDK does not accept."""


@dataclass(frozen=True)
class ResourceClass:
    """A pulumi_aws resource class and the name tables needed to feed it Plan inputs."""

    token: str
    cls: type
    args_cls: type | None

    def output_attr(self, attr: str) -> str:
        """The Python attribute holding the engine output ``attr`` (``latestVersion`` -> ``latest_version``)."""
        if attr in ("id", "urn"):
            return attr
        names = _resource_output_names(self.cls)
        if attr in names:
            return names[attr]
        raise PlanInputError(
            f"{self.token} has no output {attr!r}{_did_you_mean(attr, names)}"
        )


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


@functools.lru_cache(maxsize=None)
def _resource_output_names(cls: type) -> dict[str, str]:
    import pulumi._types as ptypes

    return ptypes.resource_pulumi_to_py_names(cls)


def _split_token(token: str) -> tuple[str, str, str]:
    """``aws:ec2/launchTemplate:LaunchTemplate`` -> (``aws``, ``ec2/launchTemplate``, ``LaunchTemplate``)."""
    parts = token.split(":")
    if len(parts) != 3 or not all(parts):
        raise PlanInputError(f"{token!r} is not a Pulumi type token (package:module:Type)")
    return parts[0], parts[1], parts[2]


def _python_package(pkg: str) -> str:
    return f"pulumi_{pkg.replace('-', '_')}"


@functools.lru_cache(maxsize=None)
def resource_class(token: str) -> ResourceClass:
    """The SDK class registered for ``token``; imports only that class's submodule (plus the package)."""
    pkg, mod, type_name = _split_token(token)
    package = _python_package(pkg)
    try:
        importlib.import_module(package)  # registers the package's token table with the runtime
    except ModuleNotFoundError as exc:
        raise PlanInputError(f"{token}: the Python SDK {package} is not installed") from exc

    fqn, class_name = _registered_class(pkg, mod, token)
    if fqn is None:
        known = _registered_tokens(pkg)
        if known:  # the package has a table and the token is not in it
            raise PlanInputError(f"{token}: {package} has no such resource type{_did_you_mean(token, known)}")
        fqn, class_name = f"{package}.{mod.split('/')[0]}", type_name  # no table: read the token
    try:
        module = importlib.import_module(fqn)
        cls = getattr(module, class_name)
    except (ModuleNotFoundError, AttributeError) as exc:
        raise PlanInputError(f"{token}: no class {class_name} in {fqn}") from exc
    return ResourceClass(token=token, cls=cls, args_cls=_args_class(cls))


def _registered_class(pkg: str, mod: str, token: str) -> tuple[str | None, str | None]:
    from pulumi.runtime import rpc

    for module in rpc._RESOURCE_MODULES.get(f"{pkg}:{mod}", []):
        info = getattr(module, "mod_info", None)
        if isinstance(info, dict) and token in info.get("classes", {}):
            return info["fqn"], info["classes"][token]
    return None, None


def _registered_tokens(pkg: str) -> list[str]:
    from pulumi.runtime import rpc

    return [token for key, modules in rpc._RESOURCE_MODULES.items() if key.startswith(f"{pkg}:")
            for module in modules for token in (getattr(module, "mod_info", None) or {}).get("classes", {})]


def _args_class(cls: type) -> type | None:
    """``LaunchTemplate`` -> ``LaunchTemplateArgs``, from the module that defines the class."""
    import pulumi._types as ptypes

    module = sys.modules[cls.__module__]
    args_cls = getattr(module, f"{cls.__name__}Args", None)
    if args_cls is not None and ptypes.is_input_type(args_cls):
        return args_cls
    return None


# --------------------------------------------------------------------------------------------
# Plan inputs (camelCase, plain JSON with references) -> SDK keyword arguments (snake_case)


@dataclass(frozen=True)
class _Shape:
    """What an SDK type annotation says a value is: an input type, a map, a list, or anything else."""

    kind: str  # "object" | "map" | "list" | "scalar" | "union" | "any"
    arg: Any = None  # the input type class, the map's value type, the list's element type, or the
    #                  tuple of accepted Python types for a scalar, the alternatives of a union


_ANY = _Shape("any")


@functools.lru_cache(maxsize=None)
def _shape(typ: Any) -> _Shape:
    import pulumi._types as ptypes
    from pulumi import Output

    if typ is None or typ is Any:
        return _ANY
    if isinstance(typ, type) and ptypes.is_input_type(typ):
        return _Shape("object", typ)
    if isinstance(typ, type) and issubclass(typ, (str, bool, int, float)):
        return _Shape("scalar", _scalar_types(typ))
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin is typing.Union:
        shapes = [
            _shape(a)
            for a in args
            if a is not type(None)
            and typing.get_origin(a) not in (collections.abc.Awaitable, typing.Awaitable, Output)
            and a is not Output
        ]
        if not shapes or any(s.kind == "any" for s in shapes):
            return _ANY
        if len(shapes) == 1:
            return shapes[0]
        scalars = [s for s in shapes if s.kind == "scalar"]
        others = tuple(s for s in shapes if s.kind != "scalar")
        if scalars:  # e.g. Union[str, InstanceType]: one scalar alternative taking all their types
            merged = {t for s in scalars for t in s.arg}
            others += (_Shape("scalar", tuple(sorted(merged, key=lambda t: t.__name__))),)
        return others[0] if len(others) == 1 else _Shape("union", others)

    if origin is Output:
        return _shape(args[0]) if args else _ANY
    if origin in (collections.abc.Sequence, typing.Sequence, list, collections.abc.MutableSequence):
        return _Shape("list", args[0] if args else None)
    if origin in (collections.abc.Mapping, typing.Mapping, dict, collections.abc.MutableMapping):
        return _Shape("map", args[1] if len(args) == 2 else None)
    return _ANY


def _scalar_types(typ: type) -> tuple[type, ...]:
    """The JSON values a scalar SDK type accepts: a str enum takes its strings; a float takes ints."""
    if issubclass(typ, bool):
        return (bool,)
    if issubclass(typ, str):
        return (str,)
    if issubclass(typ, int):
        return (int,)
    return (int, float)


_JSON_KIND = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
              float: "a number"}


def _mismatch(shape: _Shape, value: Any) -> str | None:
    """Why ``value`` cannot be what ``shape`` describes, or None when it can (or we cannot tell)."""
    if shape.kind == "any" or value is None:
        return None
    if shape.kind == "union":
        problems = [_mismatch(alt, value) for alt in shape.arg]
        return None if None in problems else " / ".join(problems)
    expected = {"object": (dict,), "map": (dict,), "list": (list,)}.get(shape.kind, shape.arg)
    if isinstance(value, bool) and bool not in expected:
        ok = False
    else:
        ok = isinstance(value, expected)
    if ok:
        return None
    want = {"object": "an object", "map": "a map", "list": "a list"}.get(shape.kind) or " or ".join(
        _JSON_KIND.get(t, t.__name__) for t in expected)
    return f"the SDK takes {want}, the plan has {_JSON_KIND.get(type(value), type(value).__name__)} {value!r}"


@functools.lru_cache(maxsize=None)
def _input_names(args_cls: type) -> tuple[dict[str, str], dict[str, Any]]:
    """(engine name -> Python name, engine name -> annotated type) of an ``@pulumi.input_type``."""
    import pulumi._types as ptypes

    py_to_engine = ptypes.input_type_py_to_pulumi_names(args_cls)
    return {engine: py for py, engine in py_to_engine.items()}, ptypes.input_type_types(args_cls)


RefResolver = Callable[[dict[str, str], str], Any]
"""Turns ``{"$ref": name, "attr": attr}`` found at an input path into a Pulumi Output."""


def to_kwargs(rc: ResourceClass, inputs: dict[str, Any], resolve: RefResolver, where: str = "") -> dict[str, Any]:
    """The keyword arguments for ``rc.cls(name, **kwargs)`` that register exactly ``inputs``;
    ``where`` (the resource's name) starts the input paths in error messages."""
    where = where or rc.token
    if rc.args_cls is None:
        raise PlanInputError(f"{where}: the SDK class {rc.cls.__name__} has no input type to translate with")
    return _object(rc.args_cls, inputs, resolve, f"{where} ({rc.token}): inputs")


def _object(args_cls: type, value: dict[str, Any], resolve: RefResolver, path: str) -> dict[str, Any]:
    names, types = _input_names(args_cls)
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in names:
            raise PlanInputError(
                f"{path}: {key!r} is not an input of {args_cls.__name__}{_did_you_mean(key, names)}"
            )
        out[names[key]] = _value(_shape(types.get(key)), item, resolve, f"{path}.{key}")
    return out


def _value(shape: _Shape, value: Any, resolve: RefResolver, path: str) -> Any:
    if is_ref(value):
        return resolve(value, path)
    problem = _mismatch(shape, value)
    if problem:
        raise PlanInputError(f"{path}: {problem}")
    if shape.kind == "union":  # the first alternative the value fits (str vs PolicyDocumentArgs)
        shape = next(alt for alt in shape.arg if _mismatch(alt, value) is None)
    if isinstance(value, dict):
        if shape.kind == "object":
            return _object(shape.arg, value, resolve, path)
        # A map with user keys (tags) or an untyped JSON value: keys pass through untouched.
        item_shape = _shape(shape.arg) if shape.kind == "map" else _ANY
        return {k: _value(item_shape, v, resolve, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        item_shape = _shape(shape.arg) if shape.kind == "list" else _ANY
        return [_value(item_shape, v, resolve, f"{path}[{i}]") for i, v in enumerate(value)]
    return value
