"""The root group's lazy commands: each command module is imported only when called. The group is
given its table of commands ("module:attribute") and their short help (planner.cli.COMMANDS and
SHORT_HELP) as class attributes, so this module imports nothing of the CLI."""
from __future__ import annotations

import importlib

import click


def _exists(commands: dict[str, str], name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(commands[name].partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _load(name: str, commands: dict[str, str]) -> click.Command | None:
    module_name, _, attr = commands[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, attr)


class LazyGroup(click.Group):
    lazy_commands: dict[str, str] = {}  # name -> "module:attribute"
    lazy_help: dict[str, str] = {}  # name -> what `--help` lists without importing the command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in self.lazy_commands if _exists(self.lazy_commands, n)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max((len(n) for n in self.lazy_commands), default=0)
        rows = []
        for name in self.list_commands(ctx):
            text = self.lazy_help.get(name)
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
        if name not in self.lazy_commands:
            return super().get_command(ctx, name)  # commands added with add_command
        return _load(name, self.lazy_commands)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            import difflib

            close = difflib.get_close_matches(args[0], list(self.lazy_commands), n=1) if args else []
            if close:
                raise click.UsageError(f"{exc.message} Did you mean '{close[0]}'?", ctx) from None
            raise
