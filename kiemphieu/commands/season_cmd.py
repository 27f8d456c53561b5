"""The season commands (../shared/contracts/season.md): import, export, backup, restore."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    importing = subparsers.add_parser("import", help="import a season file (CSV or XLSX): congresses, "
                                                     "elections, candidates")
    importing.add_argument("file", help="the season file (.csv UTF-8 or .xlsx)")
    importing.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    importing.set_defaults(handler=run_import)

    export = subparsers.add_parser("export", help="export results or a round's ballots")
    what = export.add_subparsers(dest="export_command", required=True, metavar="WHAT")
    results = what.add_parser("results", help="every round's results (CSV or JSON)")
    results.add_argument("--format", choices=("csv", "json"), required=True)
    results.add_argument("--organisation", help="only this organisation's subtree: 'Tỉnh / Huyện / Xã'")
    results.add_argument("--out", required=True, help="output file")
    results.set_defaults(handler=run_export_results)
    ballots = what.add_parser("ballots", help="a round's counted ballots, JSON Lines in stack order")
    ballots.add_argument("round_id", type=int)
    ballots.add_argument("--out", required=True, help="output file (.jsonl)")
    ballots.set_defaults(handler=run_export_ballots)

    backup = subparsers.add_parser("backup", help="one file with the database and every stored file")
    backup.add_argument("out")
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    restore.set_defaults(handler=run_restore)


def _app():
    from kiemphieu import create_app

    return create_app()


def _fail(command: str, message: str) -> int:
    print(f"kiemphieu {command}: {message}", file=sys.stderr)
    return 2


# ------------------------------------------------------------------ import


def run_import(args) -> int:
    from kiemphieu.season.importing import import_season

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        return _fail("import", f"không đọc được tệp {args.file}: {exc.strerror}")
    app = _app()
    with app.app_context():
        result = import_season(data, dry_run=args.dry_run, file_name=Path(args.file).name)
    if not result.ok:
        # Only the contract's lines on stderr (a checker may read each as an error).
        for line in result.lines(args.file):
            print(line, file=sys.stderr)
        return 2
    verb = "Sẽ tạo" if args.dry_run else "Đã tạo"
    counts = result.counts
    print(f"{verb} {counts['organisations']} tổ chức, {counts['congresses']} đại hội, "
          f"{counts['elections']} cuộc bầu, {counts['candidates']} người ứng cử"
          + (" (chạy thử, không ghi gì)." if args.dry_run else "."))
    print(json.dumps(counts, ensure_ascii=False))
    return 0


# ------------------------------------------------------------------ export


def _write_text(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8", newline="")


def run_export_results(args) -> int:
    from kiemphieu.season.exporting import ExportError, results_csv, results_json, rounds_in_scope

    app = _app()
    with app.app_context():
        try:
            exports = rounds_in_scope(args.organisation)
        except ExportError as exc:
            return _fail("export results", str(exc))
        if args.format == "csv":
            _write_text(args.out, results_csv(exports))
        else:
            _write_text(args.out, json.dumps(results_json(exports), ensure_ascii=False, indent=1) + "\n")
    print(f"Đã xuất {len(exports)} vòng bầu vào {args.out}.")
    return 0


def run_export_ballots(args) -> int:
    from kiemphieu.season.exporting import ExportError, ballots_jsonl

    app = _app()
    with app.app_context():
        try:
            text = ballots_jsonl(args.round_id)
        except ExportError as exc:
            return _fail("export ballots", str(exc))
    _write_text(args.out, text)
    print(f"Đã xuất {text.count(chr(10))} phiếu vào {args.out}.")
    return 0


# ------------------------------------------------------------------ backup and restore


def run_backup(args) -> int:
    from kiemphieu.extensions import db
    from kiemphieu.season.backup import write_backup

    app = _app()
    with app.app_context():
        summary = write_backup(db.engine, app.config["UPLOAD_FOLDER"], args.out)
    rows = sum(summary.tables.values())
    print(f"Đã sao lưu {rows} dòng của {len(summary.tables)} bảng và {summary.files} tệp vào {args.out}.")
    print(json.dumps({"tables": summary.tables, "files": summary.files, "revision": summary.revision},
                     ensure_ascii=False))
    return 0


def run_restore(args) -> int:
    import zipfile

    from flask_migrate import upgrade

    from kiemphieu.extensions import db
    from kiemphieu.season.backup import (
        BackupError,
        database_has_data,
        drop_everything,
        load_tables,
        read_manifest,
        restore_files,
    )

    try:
        archive = zipfile.ZipFile(args.file)
    except (OSError, zipfile.BadZipFile) as exc:
        return _fail("restore", f"không đọc được bản sao lưu {args.file}: {exc}")
    app = _app()
    with archive, app.app_context():
        try:
            manifest = read_manifest(archive)
            if database_has_data(db.engine) and not args.force:
                return _fail("restore", "cơ sở dữ liệu đã có dữ liệu; dùng --force để thay thế toàn bộ.")
            db.session.remove()
            drop_everything(db.engine)
            directory = app.extensions["migrate"].directory
            upgrade(directory=directory, revision=manifest.get("revision") or "head")
            counts = load_tables(db.engine, archive, manifest)
            upgrade(directory=directory)
            files = restore_files(archive, manifest, app.config["UPLOAD_FOLDER"])
        except BackupError as exc:
            return _fail("restore", str(exc))
        problems = verify_restored()
    print(f"Đã khôi phục {sum(counts.values())} dòng và {files} tệp từ {args.file}.")
    if problems:
        for problem in problems:
            print(f"kiemphieu restore: {problem}", file=sys.stderr)
        return 1
    print("Nhật ký thao tác toàn vẹn và mọi kết quả đã chốt khớp mã xác thực.")
    return 0


def verify_restored() -> list[str]:
    """The audit chain and every finalised round's digest, checked again after a restore."""
    from sqlalchemy import select

    from kiemphieu.audit import verify_chain
    from kiemphieu.extensions import db
    from kiemphieu.models import ResultVersion, Round
    from kiemphieu.results.services import version_result

    problems = []
    chain = verify_chain()
    if not chain.ok:
        problems.append(f"nhật ký bị phá vỡ tại mục {chain.first_bad_id}: {chain.problem}")
    for version in db.session.scalars(select(ResultVersion).order_by(ResultVersion.id)):
        if version_result(version).digest != version.digest:
            problems.append(f"vòng {version.round_id} phiên bản {version.version}: mã xác thực không khớp")
    for round_ in db.session.scalars(select(Round).where(Round.digest.is_not(None))):
        if round_.digest not in {v.digest for v in round_.result_versions}:
            problems.append(f"vòng {round_.id}: mã xác thực không thuộc phiên bản nào")
    return problems
