"""The root group's lazy commands: each command module is imported only when called (the table of
commands and their short help is planner.cli.COMMANDS / SHORT_HELP)."""
from __future__ import annotations

import importlib

import click


def _commands() -> dict[str, str]:
    from . import COMMANDS

    return COMMANDS


def _short_help() -> dict[str, str]:
    from . import SHORT_HELP

    return SHORT_HELP


def _exists(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(_commands()[name].partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _load(name: str) -> click.Command | None:
    module_name, _, attr = _commands()[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, attr)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in _commands() if _exists(n)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max((len(n) for n in _commands()), default=0)
        rows = []
        for name in self.list_commands(ctx):
            text = _short_help().get(name)
            if text is None:
                command = self.get_command(ctx, name)
                text = command.get_short_help_str(limit) if command is not None else ""
            elif len(text) > limit:
                text = text[:max(3, limit - 3)].rsplit(" ", 1)[0] + "..."
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _commands():
            return super().get_command(ctx, name)  # commands added with add_command
        return _load(name)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            import difflib

            close = difflib.get_close_matches(args[0], list(_commands()), n=1) if args else []
            if close:
                raise click.UsageError(f"{exc.message} Did you mean '{close[0]}'?", ctx) from None
            raise
