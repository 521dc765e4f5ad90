"""``somepulse erase``, ``somepulse subject-export`` and ``somepulse keys``: the data
protection officer's commands. A person is named by their platform id (looked up under
every key, current and retired, and the release-0.1 scheme) or by a pseudonym."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

import orjson
from rich.console import Console

from somepulse.privacy.keys import KeyFileError, keyring, retired_key_files, rotate_key
from somepulse.privacy.pseudonyms import is_pseudonym
from somepulse.service.worker import read_worker_file
from somepulse.settings import Settings
from somepulse.store import open_store, require_schema
from somepulse.store.erasure import SubjectRequest, erase_subject, export_subject


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text in (
        ("erase", "erase a person's data (GDPR Art. 17), with an audit row"),
        ("subject-export", "export a person's stored data as JSON (GDPR Art. 15)"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--platform", required=True, help="facebook, instagram, …")
        who = cmd.add_mutually_exclusive_group(required=True)
        who.add_argument("--platform-id", help="the person's id on the platform")
        who.add_argument("--pseudonym", action="append", help="a stored pseudonym (repeatable)")
        cmd.add_argument("--reference", default="", help="the case number, for the audit row")
        if name == "subject-export":
            cmd.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    keys = sub.add_parser("keys", help="the pseudonymisation key: show or rotate")
    keys.add_argument(
        "action",
        choices=("show", "rotate"),
        help="show: the current key id and retired keys; rotate: retire it, start a new one",
    )


def subject_request(args: argparse.Namespace, settings: Settings) -> SubjectRequest:
    if args.pseudonym:
        bad = [p for p in args.pseudonym if not is_pseudonym(p)]
        if bad:
            raise ValueError(f"not a pseudonym (p2_<key id>_<32 hex> or p1_<32 hex>): {bad[0]}")
        return SubjectRequest(args.platform, args.pseudonym, [], getpass.getuser(), args.reference)
    ring = keyring(settings, create=False)
    person = str(args.platform_id)
    pseudonyms = [k.pseudonym(args.platform, person) for k in ring.every]
    pseudonyms += [k.legacy(person) for k in ring.every]  # release 0.1 rows
    return SubjectRequest(
        args.platform,
        pseudonyms,
        [k.key_id for k in ring.every],
        getpass.getuser(),
        args.reference,
    )


def run_subject_command(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.command == "keys":
        return _keys(args.action, settings, console)
    if settings.embedded_store:
        running = read_worker_file(settings.worker_file)
        if running is not None:
            raise ValueError(
                f"a worker (pid {running['pid']}) holds the embedded store; "
                "stop it first (chDB allows one writer per directory, and its restart "
                "rebuilds the live cache without the person)"
            )
    request = subject_request(args, settings)
    store = open_store(settings)
    try:
        require_schema(store)
        if args.command == "subject-export":
            doc = export_subject(store, request)
            args.out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str))
            args.out.chmod(0o600)
            console.print(
                f"wrote {args.out}: {len(doc['events'])} events, "
                f"{len(doc['page_replies_to_them'])} page replies to them, "
                f"{len(doc['as_staff'])} as staff (request {doc['request_id']})"
            )
            return 0
        report = erase_subject(store, request)
    finally:
        store.close()
    console.print(
        f"erased {report.events} events of the person and {report.page_replies} page "
        f"replies to them; cleared {report.staff_rows} staff ids; recomputed "
        f"{report.rollup_hours} page-post-hours of the rollups (request {report.request_id})"
    )
    for item in report.not_reached:
        console.print(f"[yellow]not reached:[/] {item}")
    return 0


def _keys(action: str, settings: Settings, console: Console) -> int:
    path = settings.pseudonym_key_path
    if settings.pseudonym_secret is not None:
        raise KeyFileError("the key comes from SOMEPULSE_PSEUDONYM_SECRET: rotate it there")
    if action == "rotate":
        old, new = rotate_key(path)
        console.print(
            f"retired key {old} (kept as {path.name}.retired-{old} for erasure lookups); "
            f"new key {new}. Restart collectors and the worker to use it."
        )
        return 0
    ring = keyring(settings, create=False)
    console.print(f"key {ring.current.key_id} at {path} (mode 0600)")
    for retired in retired_key_files(path):
        console.print(f"retired: {retired.name}")
    return 0
