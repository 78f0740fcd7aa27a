"""Command groups whose sub-commands are imported when they are used.

`mamori scan iac` should not pay for importing the AWS SDK, the advisory database and
the eBPF sensor: every sub-command lives in its own module and is named here by
``"module:attribute"`` (a Typer app for a sub-group, or a command function). Listing the
commands (``--help``) imports them all; running one imports only its module. Click's
own recipe for this is a ``Group`` overriding ``list_commands``/``get_command``; this is
that, on Typer's group class (Typer builds commands from functions once, on demand).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import typer
from typer._click.core import Command, Context  # Typer's own (vendored) click
from typer.core import TyperGroup


def _command(target: str, name: str) -> Command:
    module, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if isinstance(obj, typer.Typer):
        group = typer.main.get_group(obj)
        group.name = name
        return group
    single = typer.Typer()
    single.command(name)(obj)
    return typer.main.get_command(single)


def lazy_group(commands: Mapping[str, str]) -> type[TyperGroup]:
    """A Typer group class whose commands are `commands` (name -> "module:attribute")."""
    table = dict(commands)

    class LazyGroup(TyperGroup):
        def list_commands(self, ctx: Context) -> list[str]:
            return sorted({*super().list_commands(ctx), *table})

        def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
            found = super().get_command(ctx, cmd_name)
            if found is not None or cmd_name not in table:
                return found
            command = _command(table[cmd_name], cmd_name)
            self.add_command(command, cmd_name)  # imported once
            return command

    return LazyGroup
