"""The files a command reads and writes: a Plan or a spec given on the command line, and outputs
written atomically, each to its own file."""
from __future__ import annotations


def load_plan_or_spec(path: str, **compile_kwargs):
    """A Plan (told by its format marker, never by the file's extension) is read as is; anything
    else is a spec, validated and compiled. So a spec saved as JSON gets the verdict it gets in YAML."""
    from ..inputs import is_plan_file

    if is_plan_file(path):
        from ..plan.model import load_plan

        return load_plan(path)
    import planner

    return planner.compile_spec(path, **compile_kwargs)


def check_distinct_outputs(paths: dict[str, str | None]) -> None:
    """Two outputs to one file would leave whichever was written last: a usage error (exit 2).
    Paths are compared after following symlinks."""
    import os

    from ..errors import UsageError

    seen: dict[str, str] = {}
    for option, path in paths.items():
        if not path or path == "-":
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both write {path}: give each output its own file")
        seen[key] = option


def write_output(path: str, text: str, option: str = "--out") -> None:
    """Write an output file atomically (0644 under the usual umask, a symlink's target is replaced);
    a path that cannot be written is a usage error naming the option (exit 2), never a traceback."""
    from ..errors import UsageError
    from ..plan.model import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
