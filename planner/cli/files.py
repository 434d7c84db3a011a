"""The files a command reads and writes: a Plan or a spec given on the command line, and outputs
written atomically, each to its own file."""
from __future__ import annotations

import os


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


SPEC_SUFFIXES = (".yaml", ".yml")


def expand_specs(paths: tuple[str, ...] | list[str]) -> list[str]:
    """Files as given; a folder stands for every spec under it (.yaml/.yml, sorted, hidden folders
    skipped): goals files, rate cards, account snapshots, price files and YAML that is not
    ultraplan's are skipped there with a note on stderr naming the command that takes them. A file
    named on its own that is one of those is a usage error saying so. Each file once, in the order
    given. A folder without specs is a usage error."""
    import click

    from ..errors import UsageError
    from .common import wrap_lines
    from .filekind import FOREIGN, PLAN, SPEC, kind_of

    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _fleet_folder(os.path.join(folder, d)))
                for name in sorted(files):
                    if not name.endswith(SPEC_SUFFIXES):
                        continue
                    file = os.path.join(folder, name)
                    kind = kind_of(file)
                    if kind.kind in (SPEC, PLAN):
                        found.append(file)
                    else:
                        for line in wrap_lines(f"note: skipped {file}: {kind.note}"):
                            click.echo(line, err=True)
            if not found:
                raise UsageError(f"{path}: no .yaml or .yml spec in this folder")
            out += found
        else:
            kind = kind_of(path) if os.path.isfile(path) else None
            if kind is not None and kind.kind not in (SPEC, PLAN, FOREIGN):
                raise UsageError(f"{path} is {kind.note}")
            out.append(path)
    seen: set[str] = set()
    return [p for p in out if not (os.path.abspath(p) in seen or seen.add(os.path.abspath(p)))]


def _fleet_folder(path: str) -> bool:
    """A folder holding a fleet (fleet.yaml with cells): its files are a fleet's, not specs, so a walk
    over specs leaves it out and says so; give the folder on its own to run the fleet."""
    import click

    from ..fleet.load import FLEET_FILE, is_fleet
    from .common import wrap_lines

    if not os.path.isfile(os.path.join(path, FLEET_FILE)) or not is_fleet(path):
        return False
    for line in wrap_lines(f"note: {path} is a fleet: left out of this run of specs (give it on its own: it "
                           "checks its cells)"):
        click.echo(line, err=True)
    return True
