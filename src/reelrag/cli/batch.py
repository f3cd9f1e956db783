"""``reelrag batch PROMPTS``: plan a prompts file, then run it as durable, resumable jobs."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from reelrag.batch import BatchPlan, plan_batch, queue
from reelrag.cli.common import console, err_console, print_json, progress_bars, settings_from
from reelrag.cli.jobs import ExecutorOption, RayAddressOption, render_summary
from reelrag.cli.visible import visible
from reelrag.jobs import BatchSummary, JobStore, Worker, open_job_store
from reelrag.settings import Settings
from reelrag.storage.local import check_writable
from reelrag.types import SearchHit


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)


def batch(
    ctx: typer.Context,
    prompts: Annotated[
        Path, typer.Argument(help="Templates file, or CSV / JSONL / JSON / YAML rows.")
    ],
    object_text: Annotated[
        str | None, typer.Option("--object", help="Fills <object_prompt>; retrieves the image.")
    ] = None,
    action: Annotated[str | None, typer.Option("--action", help="Fills <action_prompt>.")] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="Generator backend for every row.")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Jobs at once per backend.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; generate nothing.")
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option("--budget", min=0, help="Refuse a batch estimated above this (USD)."),
    ] = None,
    distinct: Annotated[
        bool, typer.Option("--distinct", help="Different images for rows sharing matches.")
    ] = False,
    retrieve_with: Annotated[
        str, typer.Option("--retrieve-with", help="object or prompt.")
    ] = "object",
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in a background worker and return.")
    ] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    min_score: Annotated[
        float | None,
        typer.Option("--min-score", min=0.0, max=1.0, help="Match threshold for retrieval."),
    ] = None,
    contact_sheet: Annotated[
        Path | None,
        typer.Option(
            "--contact-sheet",
            help="Also write the photo each row animates to a .png "
            "or .html sheet (check the matches with --dry-run first).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing contact sheet.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run every row of PROMPTS as a job; re-running a finished batch does nothing."""  # fmt: skip
    overrides: dict[str, Any] = {"concurrency": concurrency, "executor": executor,
                                 "ray_address": ray_address, "min_score": min_score}  # fmt: skip
    if concurrency is not None:
        overrides["backend_concurrency"] = ""  # the flag wins over per-backend settings
    settings = settings_from(ctx, **overrides)
    if contact_sheet is not None:
        from reelrag.contactsheet import check_sheet_path

        check_sheet_path(contact_sheet, overwrite)  # before the searches, not after
    plan = plan_batch(
        prompts, object=object_text, action=action, settings=settings, backend=backend,
        distinct=distinct, retrieve_with=retrieve_with, budget_usd=budget,
    )  # fmt: skip
    if contact_sheet is not None:
        write_matches_sheet(plan, contact_sheet, settings, overwrite)
    if dry_run:
        render_plan(plan, as_json)
        return
    if not as_json:
        render_images(plan)
    check_writable(settings.outputs_dir / plan.batch_id)  # once, rather than once per job
    store = open_job_store(settings)
    added = queue(plan, store)
    if not added and not _has_active(store, plan.batch_id):
        _already_done(store, plan, as_json)
        return
    if detach:
        _detach(settings, plan, len(added), as_json)
        return
    summary = _run(store, settings, plan, as_json)
    render_summary(summary, as_json)
    if summary.failed:
        raise typer.Exit(1)


def render_plan(plan: BatchPlan, as_json: bool) -> None:
    """The dry-run view: rows, chosen images with scores, backends, estimates."""
    if as_json:
        print_json(plan.to_dict())
        return
    table = Table("job", "line", "prompt", "image (score)", "backend", "state", "cost $", "time s")
    for p in plan.rows:
        image = p.request.image or ""
        if p.hit is not None:
            image = f"{p.hit.asset.source or p.hit.asset.id[:12]} ({p.hit.score:.3f})"
        elif p.request.asset_id:
            image = f"asset {p.request.asset_id[:12]}"
        lines = filter(None, (image, edit_label(p.request.options.get("edit"))))
        cell = Text("\n").join(Text(visible(line)) for line in lines)  # two lines on purpose
        state = p.state if not p.reason else f"{p.state}: {p.reason}"
        table.add_row(p.job_id, str(p.row.line), p.request.prompt, cell, p.backend, state,
                      f"{p.cost_usd:.2f}", f"{p.time_s:.0f}")  # fmt: skip
    console.print(table)
    console.print(
        f"batch {plan.batch_id}: {len(plan.rows)} rows ({_fmt_counts(plan.counts())}), "
        f"{plan.searches} searches, estimated ${plan.cost_usd:.2f} and ~{plan.time_s:.0f}s"
    )
    if any(p.hit is not None for p in plan.rows):
        console.print("a wrong photo? `reelrag verdict wrong OBJECT PHOTO`, then plan again")


def write_matches_sheet(plan: BatchPlan, path: Path, settings: Settings, overwrite: bool) -> None:
    """A contact sheet of the photo each retrieving row animates: one cell per object and photo,
    headed by its lines, score and object, with the caption and why it matched."""
    from reelrag.contactsheet import write_contact_sheet
    from reelrag.storage import open_store

    groups: dict[tuple[str, str], tuple[SearchHit, list[int]]] = {}
    for p in plan.rows:
        if p.hit is not None:
            groups.setdefault((p.query or "", p.hit.asset.id), (p.hit, []))[1].append(p.row.line)
    if not groups:
        err_console.print("contact sheet: no row retrieved a photo; nothing written")
        return
    hits = [hit for hit, _ in groups.values()]
    headings = [_sheet_heading(query, hit, lines) for (query, _), (hit, lines) in groups.items()]
    title = f"ReelRAG batch {plan.batch_id}: the photo each row animates"
    written = write_contact_sheet(hits, open_store(settings), path, overwrite=overwrite,
                                  headings=headings, title=title)  # fmt: skip
    err_console.print(f"contact sheet: {written}", highlight=False)


def _sheet_heading(query: str, hit: SearchHit, lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:6])) + (" ..." if len(lines) > 6 else "")
    return f"line{'s' if len(lines) > 1 else ''} {shown} · {hit.score:.2f} · {query}"


IMAGES_SHOWN = 20


def render_images(plan: BatchPlan) -> None:
    """Which library photo each retrieving row animates, with its score and why (the first
    few; every row's is in its job's manifest)."""
    found = [p for p in plan.rows if p.hit is not None]
    for p in found[:IMAGES_SHOWN]:
        hit = p.hit
        assert hit is not None
        console.print(
            f"line {p.row.line}: {hit.asset.source} (score {hit.score:.2f}: {hit.why or '-'})",
            highlight=False,
            soft_wrap=True,
        )
    if len(found) > IMAGES_SHOWN:
        console.print(f"... and {len(found) - IMAGES_SHOWN} more (see --dry-run --json)")


def edit_label(plan: dict[str, Any] | None) -> str:
    """One line saying a row edits its image first: what, where and with which editor."""
    if not plan:
        return ""
    mask, request = plan.get("mask") or {}, plan.get("request") or {}
    boxes = len(mask.get("boxes") or ())
    region = (
        "mask file" if mask.get("mask") else f"{boxes} box(es)" if boxes
        else "polygon" if mask.get("polygon") else f"'{request.get('mask_prompt')}'"
    )  # fmt: skip
    action = f"paint '{request['prompt']}'" if request.get("prompt") else "remove"
    return f"+ edit: {action} in {region} ({request.get('backend') or 'default editor'})"


def _run(store: JobStore, settings: Settings, plan: BatchPlan, as_json: bool) -> BatchSummary:
    stop = threading.Event()
    worker = Worker(store, settings)
    if not as_json:
        _say_leases(store, worker, plan.batch_id)
    with progress_bars(enabled=not as_json) as bars:
        try:
            return worker.run(batch_id=plan.batch_id, progress=bars, stop=stop)
        except KeyboardInterrupt:
            stop.set()
            err_console.print(f"stopped; resume with the same command or `reelrag jobs worker` "
                              f"(batch {plan.batch_id})")  # fmt: skip
            raise


def _say_leases(store: JobStore, worker: Worker, batch_id: str) -> None:
    """A resumed batch: take over the jobs of a worker of this host that is gone, and say how
    long the jobs leased by another (live or remote) worker wait, instead of a silent pause."""
    freed = worker.free_dead_leases(batch_id)
    if freed:
        err_console.print(f"resuming {freed} job(s) of a worker that is no longer running")
    held = [lease for lease in store.leases(batch_id=batch_id) if lease.seconds_left > 0]
    if held:
        wait = max(lease.seconds_left for lease in held)
        err_console.print(
            f"{len(held)} job(s) are leased by another worker ({held[0].owner}); they resume "
            f"here if its lease is not renewed within {wait:.0f}s"
        )


def _has_active(store: JobStore, batch_id: str) -> bool:
    counts = store.counts(batch_id=batch_id)
    return bool(counts["queued"] or counts["running"])


def _already_done(store: JobStore, plan: BatchPlan, as_json: bool) -> None:
    counts = {k: v for k, v in store.counts(batch_id=plan.batch_id).items() if v}
    if as_json:
        print_json({"batch_id": plan.batch_id, "already_finished": True, "counts": counts})
        return
    console.print(
        f"batch {plan.batch_id} already finished ({_fmt_counts(counts)}); nothing to do. "
        f"`reelrag jobs retry {plan.batch_id}` queues its failed jobs again."
    )


def _detach(settings: Settings, plan: BatchPlan, added: int, as_json: bool) -> None:
    """Start a background worker for the batch; its log goes under the workspace."""
    logs = settings.workspace / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"worker-{plan.batch_id}.log"
    command = [
        sys.executable, "-c", "from reelrag.cli.main import run; run()",
        "--workspace", str(settings.workspace), "jobs", "worker", "--batch", plan.batch_id,
        "--until-idle", "--json",
    ]  # fmt: skip
    for name in ("concurrency", "executor", "ray_address"):
        if settings.sources.get(name) == "flag":
            command += ["--" + name.replace("_", "-"), str(getattr(settings, name))]
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    info = {"batch_id": plan.batch_id, "jobs_added": added, "worker_pid": process.pid,
            "log": str(log_path)}  # fmt: skip
    if as_json:
        print_json(info)
        return
    console.print(f"batch {plan.batch_id}: {added} jobs queued; worker pid {process.pid} "
                  f"(log {log_path}). Follow it: `reelrag jobs wait {plan.batch_id}`.")  # fmt: skip


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "none"
