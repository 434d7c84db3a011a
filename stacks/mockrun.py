"""Run ``stacks.program.build`` under ``pulumi.runtime.set_mocks``: no CLI, no provider, no AWS.

Used by the tests (registered resources == Plan) and by ``bench/plan_bench.py`` (how long Pulumi's
own runtime takes to register the resources the planner computes in microseconds).

The mocks are deterministic: a resource's id is ``<name>-id``; its state echoes its inputs plus a
fake value for every output some Plan resource references (``mock_output``); a
``pulumi:pulumi:StackReference`` returns the outputs given for that stack (by default, the values
the producing stack would export under these same mocks).

Each run resets Pulumi's ambient settings (root stack, RPC manager, pending outputs, config) first,
so runs are isolated from one another and from anything that ran before in the process.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

from planner.plan.model import Plan, Resource, Stack, iter_refs

from .wiring import export_key, wiring

STACK_REFERENCE = "pulumi:pulumi:StackReference"


def mock_id(name: str) -> str:
    return f"{name}-id"


def mock_output(resource: Resource, attr: str) -> Any:
    """The value the mocks give ``resource``'s output ``attr`` (camelCase engine name)."""
    if attr == "id":
        return mock_id(resource.name)
    if attr in resource.inputs and not isinstance(resource.inputs[attr], dict):
        return resource.inputs[attr]  # an output that echoes an input (e.g. `name`) keeps its value
    if attr == "latestVersion":  # an integer in every SDK that has it (launch templates)
        return 1
    if attr == "arn":
        return f"arn:aws:mock:::{resource.name}"
    return f"{resource.name}-{attr}"


def referenced_attrs(plan: Plan) -> dict[str, set[str]]:
    """resource name -> the output attrs other resources reference."""
    out: dict[str, set[str]] = {}
    for r in plan.resources():
        for ref in iter_refs(r.inputs):
            out.setdefault(ref["$ref"], set()).add(ref.get("attr", "id"))
    return out


class PlanMocks(pulumi.runtime.Mocks):
    """Mocks that answer for any Plan: ids, referenced outputs, and StackReference outputs."""

    def __init__(self, plan: Plan, stack_outputs: Optional[dict[str, dict[str, Any]]] = None) -> None:
        self.by_name = plan.by_name()
        self.attrs = referenced_attrs(plan)
        self.stack_outputs = stack_outputs or {}
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        if args.typ == STACK_REFERENCE:
            stack = args.inputs.get("name") or args.name
            if stack not in self.stack_outputs:
                raise KeyError(f"no mocked outputs for stack {stack!r} (have: {sorted(self.stack_outputs)})")
            return stack, {"name": stack, "outputs": self.stack_outputs[stack], "secretOutputNames": []}
        state = dict(args.inputs)
        resource = self.by_name.get(args.name)
        if resource is not None and resource.type == args.typ:
            for attr in self.attrs.get(args.name, ()):
                if attr != "id":
                    state[attr] = mock_output(resource, attr)
        return mock_id(args.name), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        # build() invokes nothing; an invoke here would mean the program started reading the account.
        raise NotImplementedError(f"unexpected invoke {args.token}")


@dataclass
class Registration:
    """One resource as the engine saw it: type token, logical name, inputs (camelCase), and the
    resource options the engine received (protect, retainOnDelete, number of aliases)."""

    type: str
    name: str
    inputs: dict[str, Any]
    custom: Optional[bool]
    options: dict[str, Any] = field(default_factory=dict)


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping the resource options of every RegisterResource request."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):  # noqa: N802 (the gRPC method name)
        self.options[request.name] = {"protect": bool(request.protect), "retainOnDelete": bool(request.retainOnDelete),
                                      "aliases": len(request.aliases) + len(request.aliasURNs)}
        return super().RegisterResource(request)


@dataclass
class MockRun:
    shard: str
    seconds: float
    registrations: list[Registration]
    exports: dict[str, Any] = field(default_factory=dict)  # what build() exported, resolved
    stack_outputs: dict[str, Any] = field(default_factory=dict)  # the root stack's outputs, resolved
    urns: list[str] = field(default_factory=list)  # every URN the mock monitor handed out

    @property
    def resources(self) -> list[Registration]:
        """Registered custom resources, excluding providers and StackReference reads."""
        return [r for r in self.registrations
                if r.custom and not r.type.startswith("pulumi:")]

    def of_type(self, prefix: str) -> list[Registration]:
        return [r for r in self.registrations if r.type.startswith(prefix)]


def default_stack_outputs(plan: Plan, naming) -> dict[str, dict[str, Any]]:
    """For every stack that others read: the outputs it would export under these mocks."""
    wires = wiring(plan)
    by_name = plan.by_name()
    return {
        naming.qualified(stack.name): {
            export_key(n, a): mock_output(by_name[n], a) for n, a in wires.exports.get(stack.name, [])
        }
        for stack in plan.stacks
    }


def run_under_mocks(
    plan: Plan,
    shard: str,
    *,
    stack_outputs: Optional[dict[str, dict[str, Any]]] = None,
    naming=None,
    config: Optional[dict[str, str]] = None,
    entry: Optional[Callable[[], Any]] = None,
) -> MockRun:
    """Run ``build(plan, shard)`` under fresh mocks; returns what was registered and exported.

    ``config`` is the stack config (``{"ultraplan:spec": ...}``); ``entry`` replaces the call to
    ``build`` (e.g. ``stacks.program.main``, which reads that config) and must return its Built."""
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from .program import StackNaming, build

    naming = naming or StackNaming(prefix=plan.name)
    if stack_outputs is None:
        stack_outputs = default_stack_outputs(plan, naming)
    mocks = PlanMocks(plan, stack_outputs)
    _reset(naming.project, naming.stack(shard), config or {})
    monitor = _RecordingMonitor(mocks)
    pulumi_mocks.set_mocks(mocks, project=naming.project, stack=naming.stack(shard),
                           preview=False, organization=naming.org, monitor=monitor)
    resolved: dict[str, Any] = {}

    def program() -> None:
        built = entry() if entry is not None else build(plan, shard, naming=naming)
        root = pulumi_settings.get_root_resource()
        both = {"exports": built.exports, "stack": dict(getattr(root, "outputs", {}) or {})}
        resolved.update(_sync_await(pulumi.Output.from_input(both).future()) or {})

    start = time.perf_counter()
    error = None
    with _asyncio_log_off():  # see _abandon_run; a failure is raised below, never lost
        try:
            _sync_await(run_pulumi_func(program))
        except Exception as exc:
            error = _detached(exc)
        seconds = time.perf_counter() - start
        if error is not None:
            # The traceback of the error raised below keeps this frame's locals alive: drop the
            # failed run's monitor, mocks and program first, so the clean-up can collect them now.
            del mocks, monitor, program
            _abandon_run()
    if error is not None:
        raise error
    registrations = [Registration(a.typ, a.name, a.inputs, a.custom, monitor.options.get(a.name, {}))
                     for a in mocks.registered]
    return MockRun(shard=shard, seconds=seconds, registrations=registrations, urns=sorted(monitor.resources),
                   exports=resolved.get("exports", {}), stack_outputs=resolved.get("stack", {}))


def _detached(exc: Exception) -> Exception:
    """The error without Pulumi's nested event-loop traceback and cause chain (which keep the failed
    run's frames, tasks and coroutines alive); the innermost frames are kept as a note."""
    import traceback

    frames = traceback.format_exception(exc, chain=False)
    exc.add_note("".join(frames[-12:]).rstrip())
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return exc.with_traceback(None)


def _abandon_run() -> None:
    """Clean up after a failed run, now rather than whenever the garbage collector gets to it.

    A run that raises leaves Pulumi's pending tasks and never-awaited coroutines (``Output.future``,
    ``Output.is_known``) behind. Finalised later, their "never awaited" RuntimeWarnings can fire in
    the middle of an unrelated ``ast.parse`` (pytest rewriting a module imported by a later test),
    which CPython 3.11.7 turns into "SystemError: AST constructor recursion depth mismatch" and a
    crashed test session. So: cancel what is pending, drop the root stack, then collect with those
    warnings silenced."""
    import asyncio
    import warnings

    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending and not loop.is_running():
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    _drain(loop)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_settings.reset_options()  # drop the root stack, and with it the failed run's Outputs
    _retrieve_failures()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
        for _ in range(3):  # futures first, then what only they kept alive
            if not gc.collect():
                break


def _drain(loop) -> None:
    """Run the callbacks the failed run left scheduled (Output clean-ups holding finished futures),
    so nothing on the loop keeps the run's futures alive after it."""
    import asyncio

    if loop.is_running():
        return
    for _ in range(10):
        loop.run_until_complete(asyncio.sleep(0))
        if not getattr(loop, "_ready", None):
            break


def _retrieve_failures() -> None:
    """Observe the errors of the failed run's futures. When one resource's input fails, every Output
    derived from it fails with the same error and nobody awaits them any more (the run has already
    raised); unobserved, each one logs "Future exception was never retrieved" with a traceback when
    it is finally collected (at interpreter exit, 174 of them after the suite). The run's own error
    is raised by ``run_under_mocks``, so these copies are acknowledged here."""
    import asyncio
    import inspect

    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future):
            if obj.done() and not obj.cancelled():
                obj.exception()
        elif inspect.iscoroutine(obj) and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED \
                and "pulumi" in obj.cr_code.co_filename:
            obj.close()  # an Output coroutine the failed run created but will never start


@contextlib.contextmanager
def _asyncio_log_off() -> Iterator[None]:
    """Futures holding a failed run's error log "exception was never retrieved" with its traceback
    when collected (during the run or the clean-up); a capturing log handler (pytest's) would keep
    those frames, and the coroutines in them, alive until some later, arbitrary collection. The run
    raises its error itself, so asyncio's copy of it is dropped."""
    asyncio_log = logging.getLogger("asyncio")
    was_disabled, asyncio_log.disabled = asyncio_log.disabled, True
    try:
        yield
    finally:
        asyncio_log.disabled = was_disabled


def _reset(project: str, stack: str, config: dict[str, str]) -> None:
    """Forget the previous run: root stack, RPCs, pending outputs, config."""
    from pulumi.runtime import config as pulumi_config

    pulumi_settings.reset_options(project=project, stack=stack)
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_config.set_all_config(dict(config), [])


def register_under_mocks(plan: Plan, shard: str) -> tuple[float, int]:
    """(seconds, resources registered) for building ``shard`` of ``plan`` under mocks; the bench's
    yardstick for Pulumi's per-resource cost. Imports (pulumi_aws submodules) are warmed up first so
    the time is registration, not import."""
    from .sdk import resource_class

    for r in plan.stack(shard).resources:
        resource_class(r.type)
    # one empty run first: the runtime's own first-use costs (provider class, mock monitor) are not
    # per-resource costs either
    run_under_mocks(Plan(name=plan.name, region=plan.region, spec_file=None, stacks=[Stack(name=shard)]), shard)
    gc.collect()  # start from a clean heap so earlier garbage is not collected on this run's clock
    run = run_under_mocks(plan, shard)
    return run.seconds, len(run.resources)
