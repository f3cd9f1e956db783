"""``reelrag provenance init`` (a local test signing certificate) and ``reelrag verify FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelrag.cli.common import console, labelled, print_json, settings_from

provenance_app = typer.Typer(
    help="Content Credentials: signing certificates.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(provenance_app, name="provenance")
    app.command("verify")(verify_command)


@provenance_app.command("init")
def init_command(
    ctx: typer.Context,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing test certificate.")
    ] = False,
) -> None:
    """Create an UNTRUSTED local test CA and signing certificate in the workspace."""
    from reelrag.provenance import init_test_ca, local_ca_dir

    settings = settings_from(ctx)
    folder = init_test_ca(local_ca_dir(settings), overwrite=overwrite)
    console.print(
        labelled("test certificate", "yellow", f" {folder} (UNTRUSTED: for local use only)")
    )
    if settings.sign_cert:
        console.print(f"note: sign_cert is set ({settings.sign_cert}); it is used for signing")


def verify_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file with Content Credentials (C2PA).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Validate a file's Content Credentials and print its chain of ingredients."""
    from reelrag.provenance import verify_file

    result = verify_file(file, settings_from(ctx))
    if as_json:
        print_json(result.to_dict())
    else:
        _render(result)
    if not result.valid:
        raise typer.Exit(1)


def _render(result: object) -> None:
    from reelrag.provenance import Verification

    assert isinstance(result, Verification)
    colour = "green" if result.valid else "red"
    console.print(labelled(result.state, colour, f" {result.path}"))
    if result.state == "Unsigned":
        console.print("no Content Credentials in this file")
        return
    note = (
        " (test certificate: untrusted outside this workspace)" if result.test_certificate else ""
    )
    console.print(f"signer: {result.signer}{note}")
    console.print(f"actions: {', '.join(result.actions)}; source type: {result.source_type or '-'}")
    if result.ai_generated is not None:
        console.print(f"AI-generated: {'yes' if result.ai_generated else 'no'}")
    for failure in result.failures:
        console.print(labelled("failure", "red", f" {failure}"))
    for link in result.chain:
        indent = "  " * link.depth
        signed = " [signed]" if link.credentials else ""
        digest = f" sha256:{link.sha256[:16]}" if link.sha256 else ""
        console.print(f"{indent}{link.role or link.relationship}: {link.title}{digest}{signed}")
