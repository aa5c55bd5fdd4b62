"""Bulk loading for big generated tables: executemany on SQLite, COPY on PostgreSQL.

Columns arrive as numpy arrays (datetimes as ``datetime64[us]`` in UTC, dates as ``datetime64[D]``) or plain
lists, and are converted in bulk to what each driver wants, so no ORM object is built per row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Boolean, Connection, Date, Float, Integer, Numeric, Table, insert, text

from core.db import UtcDateTime

SQLITE_CHUNK = 50_000
COPY_CHUNK = 250_000

ColumnData = np.ndarray | Sequence[Any]


def _kind(table: Table, name: str) -> str:
    col_type = table.c[name].type
    if isinstance(col_type, UtcDateTime):
        return "datetime"
    if isinstance(col_type, Date):
        return "date"
    if isinstance(col_type, Boolean):
        return "bool"
    if isinstance(col_type, JSON):
        return "json"
    if isinstance(col_type, Integer):
        return "int"
    if isinstance(col_type, Numeric) and not isinstance(col_type, Float):
        return "number"
    return "plain"


def sqlite_datetimes(values: np.ndarray) -> np.ndarray:
    """Format ``datetime64[us]`` values exactly as SQLAlchemy stores SQLite datetimes (NaT becomes None)."""
    text_values = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    # ISO puts a 'T' at position 10 where SQLAlchemy's SQLite format has a space: same width, patch in place.
    codes = text_values.view(np.uint32).reshape(len(text_values), -1)
    codes[:, 10] = ord(" ")
    nat = np.isnat(values)
    if nat.any():
        out = text_values.astype(object)
        out[nat] = None
        return out
    return text_values


def _as_array(values: ColumnData) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, pd.api.extensions.ExtensionArray | pd.Series):
        return np.asarray(values, dtype=object)
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _json_text(values: ColumnData) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for v in values]
    return out


def _nullable_ints(arr: np.ndarray) -> Any:
    """Integers with NULLs (given as NaN or None) in a pandas nullable array."""
    if arr.dtype.kind == "f":
        out = pd.array(np.where(np.isnan(arr), 0, arr).astype(np.int64), dtype="Int64")
        out[np.isnan(arr)] = pd.NA
        return out
    return pd.array(arr.tolist(), dtype="Int64")


class BulkWriter:
    """Insert many rows into one connection's open transaction, reserving primary keys up front."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._next_id: dict[str, int] = {}
        self._deferred: list[tuple[str, list[str], list[str]]] = []
        self.rows_written = 0
        if self.postgres:
            # COPY's naive timestamps are read in the session zone; every generated time is UTC.
            conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))
            # The deferred indexes are rebuilt in this transaction; more sort memory, fewer passes on disk.
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))

    def reserve_ids(self, table: Table, n: int) -> np.ndarray:
        """Return ``n`` fresh consecutive ids for ``table`` (the table is locked against other writers)."""
        name = table.name
        if name not in self._next_id:
            if self.postgres:
                # Explicit ids bypass the sequence, so other writers must wait until we move it past them.
                self.conn.execute(text(f'LOCK TABLE "{name}" IN SHARE ROW EXCLUSIVE MODE'))
                start = self.conn.execute(
                    text(
                        f'SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{name}"), '
                        f"(SELECT last_value FROM {self._sequence(name)}))"
                    )
                ).scalar_one()
            else:
                start = self.conn.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"')).scalar_one()
            self._next_id[name] = int(start) + 1
        first = self._next_id[name]
        self._next_id[name] = first + n
        return np.arange(first, first + n, dtype=np.int64)

    def _sequence(self, name: str) -> str:
        seq = self.conn.execute(text(f"SELECT pg_get_serial_sequence('{name}', 'id')")).scalar_one()
        return str(seq)

    def defer_indexes(self, tables: Sequence[str]) -> list[str]:
        """Drop the secondary indexes of the given tables that are still empty, to rebuild them in ``finish``.

        One sort per index after the load beats millions of scattered B-tree inserts. On PostgreSQL the
        foreign keys and unique constraints go too (re-adding them validates every row in one pass). The
        exact definitions are read back from the catalog, and all of it happens inside the load's transaction,
        so a failed build restores them. Tables that already hold rows keep everything (other accounts may be
        reading them). Returns the tables deferred.
        """
        done = []
        for name in tables:
            if self.conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
                continue
            if self.postgres:
                owned = self.conn.execute(
                    text(
                        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('f', 'u') "
                        "ORDER BY contype DESC"
                    ),
                    {"t": name},
                ).all()
                indexes = self.conn.execute(
                    text(
                        "SELECT CAST(indexrelid AS regclass)::text, pg_get_indexdef(indexrelid) "
                        "FROM pg_index WHERE indrelid = CAST(:t AS regclass) AND NOT indisprimary "
                        "AND indexrelid NOT IN "
                        "(SELECT conindid FROM pg_constraint WHERE conrelid = CAST(:t AS regclass))"
                    ),
                    {"t": name},
                ).all()
                restore_constraints = [f'ALTER TABLE "{name}" ADD CONSTRAINT "{c}" {d}' for c, _, d in owned]
                for c, _, _ in owned:
                    self.conn.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{c}"'))
            else:
                indexes = self.conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
                        "AND sql IS NOT NULL"
                    ),
                    {"t": name},
                ).all()
                restore_constraints = []
            for index_name, _ in indexes:
                self.conn.execute(text(f'DROP INDEX "{index_name}"'))
            self._deferred.append((name, [d for _, d in indexes], restore_constraints))
            done.append(name)
        return done

    def finish(self, progress: Callable[[str], None] | None = None) -> None:
        """Rebuild deferred indexes and constraints; move PostgreSQL sequences past the ids we inserted."""
        for name, index_sql, _ in self._deferred:
            if progress:
                progress(name)
            for sql in index_sql:
                self.conn.execute(text(sql))
        # Foreign keys last: their validation probes the (rebuilt) primary and unique keys they point at.
        for _, _, restore in self._deferred:
            for sql in restore:
                self.conn.execute(text(sql))
        self._deferred = []
        if not self.postgres:
            return
        for name, next_id in self._next_id.items():
            seq = self._sequence(name)
            self.conn.execute(
                text(f"SELECT setval('{seq}', GREATEST(:v, (SELECT last_value FROM {seq})))"),
                {"v": next_id - 1},
            )

    def insert(self, table: Table, columns: Mapping[str, ColumnData]) -> int:
        """Insert the rows given column-wise; every column must have the same length."""
        names = list(columns)
        lengths = {len(columns[c]) for c in names}
        if len(lengths) != 1:
            raise ValueError(f"columns of {table.name} have different lengths: {sorted(lengths)}")
        n = lengths.pop()
        if n == 0:
            return 0
        auto_pk = (
            {c.name for c in table.primary_key.columns} if len(table.primary_key.columns) == 1 else set()
        )
        missing = [
            c.name
            for c in table.columns
            if not c.nullable and c.name not in columns and c.name not in auto_pk and c.server_default is None
        ]
        if missing:
            raise ValueError(f"bulk insert into {table.name} lacks required columns {missing}")
        if self.postgres:
            self._copy(table, names, columns, n)
        else:
            self._executemany(table, names, columns, n)
        self.rows_written += n
        return n

    def update(self, table: Table, ids: np.ndarray, columns: Mapping[str, ColumnData]) -> int:
        """Set ``columns`` on the rows whose primary key ``id`` is in ``ids`` (one value per id)."""
        n = len(ids)
        if n == 0:
            return 0
        names = list(columns)
        mark = "%s" if self.postgres else "?"
        sql = (
            f'UPDATE "{table.name}" SET '
            + ", ".join(f'"{c}" = {mark}' for c in names)
            + f" WHERE id = {mark}"
        )
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for lo in range(0, n, SQLITE_CHUNK):
                hi = min(n, lo + SQLITE_CHUNK)
                lists = [self._sqlite_column(table, c, columns[c], lo, hi) for c in names]
                if self.postgres:
                    lists = [
                        [
                            v + "+00" if isinstance(v, str) and _kind(table, c) == "datetime" else v
                            for v in col
                        ]
                        for c, col in zip(names, lists, strict=True)
                    ]
                cursor.executemany(sql, list(zip(*lists, np.asarray(ids[lo:hi]).tolist(), strict=True)))
        finally:
            cursor.close()
        return n

    def _executemany(self, table: Table, names: list[str], columns: Mapping[str, ColumnData], n: int) -> None:
        sql = str(insert(table).compile(dialect=self.conn.dialect, column_keys=names))
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for lo in range(0, n, SQLITE_CHUNK):
                hi = min(n, lo + SQLITE_CHUNK)
                lists = [self._sqlite_column(table, c, columns[c], lo, hi) for c in names]
                cursor.executemany(sql, list(zip(*lists, strict=True)))
        finally:
            cursor.close()

    def _sqlite_column(self, table: Table, name: str, values: ColumnData, lo: int, hi: int) -> list[Any]:
        kind = _kind(table, name)
        arr = _as_array(values[lo:hi])
        if kind == "datetime" and arr.dtype.kind == "M":
            return sqlite_datetimes(arr).tolist()
        if kind == "date" and arr.dtype.kind == "M":
            out = np.datetime_as_string(arr.astype("datetime64[D]"), unit="D").astype(object)
            out[np.isnat(arr)] = None
            return out.tolist()
        if kind == "json":
            return _json_text(arr).tolist()
        if kind == "bool":
            return arr.astype(np.int8).tolist() if arr.dtype == bool else arr.tolist()
        if kind == "int" and (arr.dtype.kind == "f" or arr.dtype == object):
            return _nullable_ints(arr).to_numpy(dtype=object, na_value=None).tolist()
        if kind == "number" and arr.dtype.kind == "f":
            return np.where(np.isnan(arr), None, arr).tolist()
        return arr.tolist()

    def _copy(self, table: Table, names: list[str], columns: Mapping[str, ColumnData], n: int) -> None:
        raw = self.conn.connection.driver_connection
        col_list = ", ".join(f'"{c}"' for c in names)
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            for lo in range(0, n, COPY_CHUNK):
                hi = min(n, lo + COPY_CHUNK)
                frame = pd.DataFrame({c: self._copy_column(table, c, columns[c], lo, hi) for c in names})
                buf = io.StringIO()
                frame.to_csv(buf, header=False, index=False)
                with cursor.copy(f'COPY "{table.name}" ({col_list}) FROM STDIN (FORMAT csv)') as copy:
                    copy.write(buf.getvalue())

    def _copy_column(self, table: Table, name: str, values: ColumnData, lo: int, hi: int) -> Any:
        kind = _kind(table, name)
        arr = _as_array(values[lo:hi])
        if kind == "json":
            return _json_text(arr)
        if kind == "int" and (arr.dtype.kind == "f" or arr.dtype == object):
            return _nullable_ints(arr)
        if kind == "date" and arr.dtype.kind == "M":
            out = np.datetime_as_string(arr.astype("datetime64[D]"), unit="D").astype(object)
            out[np.isnat(arr)] = None
            return out
        return arr
