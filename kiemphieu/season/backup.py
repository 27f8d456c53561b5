"""One backup file: a logical dump of every table plus every stored file; and its restore.

Why a logical dump rather than ``sqlite3 .backup`` or ``pg_dump``: the same code and the same
file serve SQLite and PostgreSQL (a backup taken on one restores on the other), no server
tool of the right version is needed, and the dump is read in ONE read transaction (SQLite WAL
snapshot; PostgreSQL REPEATABLE READ, read only), so it is consistent while counters keep
saving: every ballot committed before the backup began is in it. Stored files are written
before the rows that name them are committed, so copying the upload folder after the
snapshot holds every file any dumped row points at.

The file is a ZIP: ``manifest.json`` (format, schema revision, row counts, files),
``tables/<table>.jsonl`` (one row a line, dates as ISO text, bytes as base64) and
``files/<path under the upload folder>``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Engine, LargeBinary, MetaData, Table, func, select, text

FORMAT = "kiemphieu/backup-1"
VERSION_TABLE = "alembic_version"
BATCH = 1000


class BackupError(RuntimeError):
    """A refused backup or restore; the message is Vietnamese."""


@dataclass(frozen=True)
class BackupSummary:
    tables: dict[str, int]
    files: int
    revision: str | None


# ------------------------------------------------------------------ values


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(column) -> Any:
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, LargeBinary):
        return base64.b64decode
    return None


def _reflect(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return metadata


def _tables_in_order(metadata: MetaData) -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name != VERSION_TABLE]


# ------------------------------------------------------------------ backup


def _snapshot(engine: Engine) -> Connection:
    """A connection inside one read transaction that sees a single moment of the database."""
    if engine.dialect.name == "postgresql":
        connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        connection.begin()
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    else:
        connection = engine.connect()
        connection.begin()
    return connection


def write_backup(engine: Engine, upload_folder: str | Path, out: str | Path) -> BackupSummary:
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    counts: dict[str, int] = {}
    connection = _snapshot(engine)
    try:
        metadata = _reflect(connection)
        revision = None
        if VERSION_TABLE in metadata.tables:
            revision = connection.execute(select(metadata.tables[VERSION_TABLE].c.version_num)).scalar()
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for table in _tables_in_order(metadata):
                counts[table.name] = _dump_table(connection, table, archive)
            # Files after the snapshot: every row dumped names a file that already exists.
            files = _add_files(Path(upload_folder), archive, skip=partial.resolve())
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "dialect": engine.dialect.name,
                "revision": revision,
                "tables": counts,
                "table_order": list(counts),
                "files": files,
            }
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        connection.rollback()
        connection.close()
    os.replace(partial, out)
    return BackupSummary(counts, len(files), revision)


def _dump_table(connection: Connection, table: Table, archive: zipfile.ZipFile) -> int:
    order = list(table.primary_key.columns) or list(table.columns)
    count = 0
    names = [c.name for c in table.columns]
    with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as handle:
        result = connection.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
        for row in result:
            line = json.dumps({n: _encode(v) for n, v in zip(names, row)}, ensure_ascii=False, separators=(",", ":"))
            handle.write(line.encode("utf-8") + b"\n")
            count += 1
    return count


def _add_files(folder: Path, archive: zipfile.ZipFile, skip: Path) -> list[str]:
    stored = []
    if not folder.is_dir():
        return stored
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.resolve() == skip or path.name.endswith(".partial"):
            continue
        relative = path.relative_to(folder).as_posix()
        # Images are already compressed: store them as they are.
        archive.write(path, f"files/{relative}", compress_type=zipfile.ZIP_STORED)
        stored.append(relative)
    return stored


# ------------------------------------------------------------------ restore


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError("tệp không phải bản sao lưu của kiemphieu (thiếu manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"định dạng sao lưu không hỗ trợ: {manifest.get('format')!r}")
    return manifest


def database_has_data(engine: Engine) -> bool:
    with engine.connect() as connection:
        metadata = _reflect(connection)
        return any(connection.execute(select(func.count()).select_from(t)).scalar()
                   for t in _tables_in_order(metadata))


def drop_everything(engine: Engine) -> None:
    with engine.begin() as connection:
        metadata = _reflect(connection)
        metadata.drop_all(bind=connection)


def load_tables(engine: Engine, archive: zipfile.ZipFile, manifest: dict) -> dict[str, int]:
    """Insert every dumped row into the (empty, migrated) schema, in one transaction."""
    counts = {}
    with engine.begin() as connection:
        metadata = _reflect(connection)
        missing = [name for name in manifest["tables"] if name not in metadata.tables]
        if missing:
            raise BackupError(f"cơ sở dữ liệu không có bảng: {', '.join(missing)}")
        for table in _tables_in_order(metadata):
            if table.name in manifest["tables"]:
                counts[table.name] = _load_table(connection, table, archive)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, metadata)
    return counts


def _load_table(connection: Connection, table: Table, archive: zipfile.ZipFile) -> int:
    decoders = {c.name: _decoder(c) for c in table.columns}
    # A column pointing at its own table (organisation.parent_id) is filled in afterwards,
    # so a row may name a parent stored after it.
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]
    pk = [c.name for c in table.primary_key.columns]
    deferred: list[dict] = []
    batch: list[dict] = []
    count = 0
    with archive.open(f"tables/{table.name}.jsonl") as handle:
        for raw in handle:
            row = json.loads(raw)
            row = {k: (decoders[k](v) if v is not None and decoders.get(k) else v)
                   for k, v in row.items() if k in decoders}
            if own and any(row.get(name) is not None for name in own):
                deferred.append({**{k: row[k] for k in pk}, **{name: row[name] for name in own}})
                row = {**row, **{name: None for name in own}}
            batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                connection.execute(table.insert(), batch)
                batch = []
    if batch:
        connection.execute(table.insert(), batch)
    for values in deferred:
        where = [table.c[k] == values[k] for k in pk]
        connection.execute(table.update().where(*where).values({n: values[n] for n in own}))
    return count


def _reset_sequences(connection: Connection, metadata: MetaData) -> None:
    for table in _tables_in_order(metadata):
        columns = list(table.primary_key.columns)
        if len(columns) == 1 and columns[0].autoincrement in (True, "auto") and \
                columns[0].type.python_type is int:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE((SELECT MAX({columns[0].name}) "
                f"FROM {connection.dialect.identifier_preparer.quote(table.name)}), 0) + 1, false)"
            ), {"t": connection.dialect.identifier_preparer.quote(table.name), "c": columns[0].name})


def restore_files(archive: zipfile.ZipFile, manifest: dict, upload_folder: str | Path) -> int:
    """Put the backup's files in place of the upload folder's (written aside, then swapped)."""
    folder = Path(upload_folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=folder.parent))
    for relative in manifest["files"]:
        parts = PurePosixPath(relative).parts
        if PurePosixPath(relative).is_absolute() or ".." in parts:
            raise BackupError(f"đường dẫn tệp không hợp lệ trong bản sao lưu: {relative}")
        target = staging.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(f"files/{relative}") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
    if folder.exists():
        old = folder.with_name(folder.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    staging.rename(folder)
    return len(manifest["files"])
