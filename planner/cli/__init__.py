"""The `ultraplan` command line: a thin click layer over the library.

Commands live one module each and are imported only when called, so `ultraplan --help` and
`ultraplan plan` never pay for importing boto3 or pulumi. Every project error is caught here, in
one place, and mapped to the documented exit codes; no traceback reaches a user for bad input.
"""
from __future__ import annotations

import sys

import click

from ..errors import EXIT_INVALID, SpecError, UltraplanError
from .failure import echo_error, internal_error, show_click_error
from .lazy import LazyGroup


# command name -> "module:attribute"; a module that is not there (yet) is simply not listed.
COMMANDS: dict[str, str] = {
    "validate": "planner.cli.validate_cmd:validate",
    "plan": "planner.cli.plan_cmd:plan",
    "schema": "planner.cli.schema_cmd:schema",
    "cost": "planner.cli.cost_cmd:cost",
    "catalog": "planner.cli.catalog_cmd:catalog",
    "preflight": "planner.cli.preflight_cmd:preflight",
    "account": "planner.cli.account_cmd:account",
    "policy": "planner.cli.policy_cmd:policy",
    "rules": "planner.cli.rules_cmd:rules",
    "check": "planner.cli.check_cmd:check",
    "report": "planner.cli.report_cmd:report",
    "solve": "planner.cli.solve_cmd:solve",
    "runtime": "planner.cli.runtime_cmd:runtime",
    "init": "planner.cli.init_cmd:init",
    "rollout": "planner.cli.rollout_cmd:rollout",
}


# What `ultraplan --help` lists, so listing the commands does not import them all (pydantic, the
# catalog, rich...): each is the command's own short help, kept equal by tests/test_cli_speed.py.
# A command missing here still works; `--help` then imports it to read its help.
SHORT_HELP: dict[str, str] = {
    "validate": "Run every check that needs only the spec and the catalog (no AWS, no Pulumi).",
    "plan": "Compile SPEC into a Plan: Pulumi stacks of resources, previewed like `pulumi preview`.",
    "schema": "Print the JSON Schema of the spec, for editors (yaml-language-server) and CI: the catalog's "
              "instance types and UltraServers as completions, descriptions on every field.",
    "cost": "Price every resource of SPEC's Plan: hourly now, monthly run rate, a month-by-month timeline "
            "over the term and the term total, by generation and phase, with budget gates.",
    "catalog": "Inspect and refresh the bundled catalog (instance facts, prices).",
    "preflight": "Check SPEC against an AWS account, read-only: zones, offerings, EFA limits, vCPU and VPC "
                 "quotas, reservations and capacity blocks, subnets.",
    "account": "Work with AWS account data preflight reads.",
    "policy": "Run the policy pack on a spec offline (`policy SPEC`), or list its rules (`policy list`).",
    "rules": "List the spec rules: id, level, whether a spec may skip it, and what it checks.",
    "check": "Validate, plan, price, policy-check (and preflight) SPEC in one run: one report, one exit code.",
    "runtime": "Write what a scheduler needs to place jobs inside NVLink domains: a Slurm topology.yaml "
               "(topology/block, one block per UltraServer, named with the hostnames the nodes set at boot) and "
               "a Kueue Topology with a ResourceFlavor per UltraServer pool (the node labels the nodes publish).",
    "init": "Write a starter spec: one GPU pool and a head node, with the schema line for editors (yaml-language-server) "
            "and the schema file beside it.",
    "rollout": "Turn FLEET (or a change to it) into ordered rollout waves with a blast radius.",
}


class _Commands(LazyGroup):
    lazy_commands = COMMANDS
    lazy_help = SHORT_HELP


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ultraplan")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour in human output; auto: only on a terminal and without NO_COLOR.")
def cli(color: str) -> None:
    """Plan AWS GPU clusters: validate a spec, preview its Pulumi stacks, price it, preflight it
    against an account and run the policy pack.

    Exit codes: 0 all good; 1 a gate failed (mandatory policy violation, preflight error, budget
    exceeded); 2 the spec, an input file or the command line is invalid; 3 a check could not verify
    (AWS unreachable, access denied, throttled, deadline); 4 an internal error (a bug: please report it).
    """
    from .common import set_color

    set_color(color)


def main(argv: list[str] | None = None) -> None:
    from ..clock import scope

    try:
        # With standalone_mode=False click returns ctx.exit()'s code instead of raising it. The
        # clock scope undoes a command's --now however the command ends.
        with scope():
            rv = cli.main(args=argv, prog_name="ultraplan", standalone_mode=False)
    except SpecError as exc:
        from .common import terminal_width

        click.echo(exc.render_text(terminal_width()), err=True)
        sys.exit(exc.exit_code)
    except UltraplanError as exc:
        echo_error("error: ", str(exc))
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        show_click_error(exc)
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        click.echo("aborted", err=True)
        sys.exit(130)
    except ModuleNotFoundError as exc:  # an optional dependency is not installed: setup, not a bug
        if exc.name is None or exc.name.split(".")[0] in ("planner", "stacks", "policies"):
            internal_error(exc, argv)  # our own module missing is a broken install or a bug
        from .extras import missing_module_message

        echo_error("error: ", missing_module_message(exc))
        sys.exit(EXIT_INVALID)
    except Exception as exc:  # noqa: BLE001 - anything else is a bug, and CI must be able to tell it from a verdict
        internal_error(exc, argv)
    sys.exit(rv if isinstance(rv, int) else 0)
