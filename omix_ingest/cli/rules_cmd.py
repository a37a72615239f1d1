"""`omix rule CODE` and `omix rules`: the rule registry for people and scripts."""

from __future__ import annotations

import json

import click

from omix_ingest.errors import UsageError
from validators.core.model import Rule
from validators.registry import collect_rules, load_validators


def all_rules() -> dict[str, Rule]:
    return collect_rules(load_validators())


def rule_dict(rule: Rule) -> dict[str, str]:
    return {
        "code": rule.code,
        "slug": rule.slug,
        "severity": rule.severity.label,
        "title": rule.title,
        "message": rule.message,
        "explanation": rule.explanation,
        "bad": rule.bad,
        "good": rule.good,
    }


def find_rule(key: str) -> Rule:
    rules = all_rules()
    wanted = key.strip()
    for rule in rules.values():
        if wanted.upper() == rule.code or wanted.lower() == rule.slug:
            return rule
    raise UsageError(f"no rule {key!r}; `omix rules` lists them all")


def explain(rule: Rule) -> str:
    lines = [f"{rule.code} {rule.slug} ({rule.severity.label})", "", rule.title, "", rule.explanation]
    if rule.bad:
        lines += ["", "Bad:", f"    {rule.bad}"]
    if rule.good:
        lines += ["", "Good:", f"    {rule.good}"]
    return "\n".join(lines)


@click.command("rule")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rule_command(code: str, fmt: str) -> int:
    """Explain one rule, by code (OMX101) or slug."""
    rule = find_rule(code)
    click.echo(json.dumps(rule_dict(rule), indent=2) if fmt == "json" else explain(rule))
    return 0


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(fmt: str) -> int:
    """List every rule: code, default severity, slug and title."""
    rules = all_rules().values()
    if fmt == "json":
        click.echo(json.dumps([rule_dict(r) for r in rules], indent=2))
    else:
        for rule in rules:
            click.echo(f"{rule.code}  {rule.severity.label:<7}  {rule.slug:<38} {rule.title}")
    return 0
