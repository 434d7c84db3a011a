"""`ultraplan cost SPEC`: price the Plan a spec compiles to, over its term, against its budget."""
from __future__ import annotations

import datetime as dt

import click

from ..errors import EXIT_FINDINGS, UsageError
from .common import format_option, now_option, terminal_width, use_color

FORMATS = ["text", "json", "markdown"]


def _plan_of(path: str):
    """A spec is compiled; a Plan (by its format marker, not its extension) is read as is."""
    from .files import load_plan_or_spec

    return load_plan_or_spec(path)


@click.command("cost")
@click.argument("spec", type=click.Path(), metavar="SPEC|FLEET")
@format_option(FORMATS)
@click.option("--diff", "old_plan", type=click.Path(dir_okay=False),
              help="An earlier Plan JSON (ultraplan plan --out); show the monthly and term delta per resource.")
@click.option("--prices", "price_files", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Extra price file(s) (e.g. written by `catalog refresh --prices`), applied over the bundled ones.")
@click.option("--rates", "rates_file", type=click.Path(dir_okay=False, exists=True),
              help="A rate card of negotiated prices (overrides the spec's budget.rates); see docs/solve.md.")
@now_option("The planning clock (an ISO 8601 date or date-time in UTC), and the day 'hourly now' is measured "
            "at. Default: ULTRAPLAN_NOW or the system clock for planning; 'hourly now' at the term start "
            "(undated plans start today). See docs/clock.md.", expose=True)
def cost(spec: str, fmt: str, old_plan: str | None, price_files: tuple[str, ...], rates_file: str | None,
         now: dt.datetime | None) -> None:
    """Price every resource of SPEC's Plan: hourly now, monthly run rate, a month-by-month timeline
    over the term and the term total, by generation and phase, with budget gates.

    Exits 1 when budget.monthly_usd or budget.total_usd is exceeded (a warning above 90 % does not
    fail), 2 for an invalid spec, dates or price file. A region without prices is a warning:
    every line is unpriced, saying why. SPEC may also be a Plan JSON.
    """
    from ..cost import estimate, plan_prices
    from ..cost import render
    from ..plan.model import load_plan

    from . import fleets

    fleet = fleets.fleet_target(spec)
    if fleet:
        if old_plan:
            raise UsageError("--diff prices the change of one Plan: give one cell's spec")
        from ..catalog.prices import load_prices

        try:
            prices = load_prices(extra_files=price_files) if price_files else load_prices()
        except UsageError:
            raise
        except (OSError, ValueError) as exc:
            raise UsageError(f"--prices: {exc}" if price_files else f"price files: {exc}") from None
        card = None
        if rates_file:
            from ..spec.ratecard import load_rate_card

            card = load_rate_card(rates_file)
        return fleets.cost(fleet, fmt, prices, card, now=now.date() if now else None)
    plan = _plan_of(spec)
    try:
        prices = plan_prices(plan, price_files)  # bundled, then the spec's budget.prices, then --prices
    except UsageError:
        raise  # names the file and the field itself: a bundled file is not blamed on --prices
    except (OSError, ValueError) as exc:
        raise UsageError(f"--prices: {exc}" if price_files else f"price files: {exc}") from None
    from .. import clock

    today = clock.today()  # the clock is read here, at the edge, and passed in
    card = None
    if rates_file:
        from ..spec.ratecard import load_rate_card

        card = load_rate_card(rates_file)
    report = estimate(plan, prices, now=now.date() if now else None, today=today, rates=card)

    if old_plan:
        from ..cost.diff import diff_reports

        old = estimate(load_plan(old_plan), prices, now=report.now, today=today, rates=card)
        diff = diff_reports(old, report)
        text = (render.render_diff_text(diff, width=terminal_width()) if fmt == "text" else
                {"json": render.render_diff_json, "markdown": render.render_diff_markdown}[fmt](diff))
    else:
        text = (render.render_text(report, width=terminal_width(), color=use_color()) if fmt == "text" else
                {"json": render.render_json, "markdown": render.render_markdown}[fmt](report))
    click.echo(text.rstrip("\n"), color=use_color() or None)
    if report.budget.status == "over":
        # SystemExit, not ctx.exit: the top-level main() runs click with standalone_mode=False, which
        # turns ctx.exit(1) into a return value that main() does not pass on.
        raise SystemExit(EXIT_FINDINGS)
