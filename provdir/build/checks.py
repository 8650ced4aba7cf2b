"""Checks run on a build's files before it is published: a published file never violates its
data dictionary (:data:`provdir.build.tables.TABLES`).

For every table, on the files as written (not on the rows in memory):

- the Parquet file's columns, their order and their types are the declared ones;
- every value obeys its column's :class:`~provdir.build.tables.Rule` (required, enumeration,
  pattern, range; for list columns, every item), and primary keys are unique — checked with
  pandera (``pandera.pandas``), all failures collected before raising;
- the CSV file has the same header and the same number of rows;
- foreign keys: every ``facility_id`` of a long table or of the evidence is a facility.

:func:`check_directory` returns the problems; :func:`provdir.build.publish.publish` raises
:class:`~provdir.build.publish.SchemaViolation` (a ``PublishRefused``, so the crawler and
``provdir build`` report it like any refused publish; ``--force`` does not bypass it) before the
swap: the staging folder is removed and the last good directory stays published.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from provdir.build.tables import TABLES, Rule, TableSpec

MAX_PROBLEMS_SHOWN = 20


def check_directory(directory: Path, tables: list[TableSpec] = TABLES) -> list[str]:
    """Every problem with the files of ``directory`` (empty when it keeps its dictionary)."""
    problems: list[str] = []
    keys: dict[str, pd.DataFrame] = {}
    for spec in tables:
        parquet, text = directory / f"{spec.name}.parquet", directory / f"{spec.name}.csv"
        if not parquet.exists() or not text.exists():
            problems.append(f"{spec.name}: {parquet.name} or {text.name} is missing")
            continue
        table = pq.read_table(parquet)
        problems += _schema_problems(spec, table.schema)
        if problems and problems[-1].startswith(f"{spec.name}: columns"):
            continue
        frame = table.to_pandas()
        problems += _value_problems(spec, frame)
        problems += _csv_problems(spec, text, table.num_rows)
        keys[spec.name] = frame
    for spec in tables:
        for fields, parent, ref in spec.foreign_keys:
            if spec.name not in keys or parent not in keys:
                continue
            child = set(keys[spec.name][list(fields)].itertuples(index=False, name=None))
            known = set(keys[parent][list(ref)].itertuples(index=False, name=None))
            missing = sorted(child - known)
            if missing:
                problems.append(
                    f"{spec.name}: {len(missing)} {', '.join(fields)} value(s) not in {parent}: {_sample(missing)}"
                )
    return problems


def _schema_problems(spec: TableSpec, schema: pa.Schema) -> list[str]:
    if schema.names != spec.names:
        return [f"{spec.name}: columns {schema.names} differ from the dictionary's {spec.names}"]
    out = []
    for name, typ, _ in spec.columns:
        got = schema.field(name).type
        if not got.equals(typ):
            out.append(f"{spec.name}.{name}: type {got} where the dictionary says {typ}")
    return out


def _csv_problems(spec: TableSpec, path: Path, rows: int) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        count = sum(1 for _ in reader)
    out = []
    if header != spec.names:
        out.append(f"{spec.name}.csv: header {header} differs from the dictionary's {spec.names}")
    if count != rows:
        out.append(f"{spec.name}.csv: {count} rows where {spec.name}.parquet has {rows}")
    return out


# -- values: pandera ------------------------------------------------------------------------
def _value_problems(spec: TableSpec, frame: pd.DataFrame) -> list[str]:
    import pandera.errors

    try:
        pandera_schema(spec).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _summarise(spec.name, exc.failure_cases)
    except pandera.errors.SchemaError as exc:  # pragma: no cover - lazy=True collects them
        return [f"{spec.name}: {exc}"]
    return []


_SCHEMAS: dict[int, tuple[TableSpec, Any]] = {}


def pandera_schema(spec: TableSpec):
    """The pandera schema of a table, from its dictionary entry (built once per spec: every
    publish checks the same tables, and building the schemas cost a fifth of the checks)."""
    cached = _SCHEMAS.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    schema = _build_schema(spec)
    _SCHEMAS[id(spec)] = (spec, schema)
    return schema


def _build_schema(spec: TableSpec):
    import pandera.pandas as pdr

    columns = {}
    for name, typ, _ in spec.columns:
        rule = spec.rule(name)
        is_list = pa.types.is_list(typ)
        columns[name] = pdr.Column(checks=_checks(rule, is_list), nullable=True, required=True, coerce=False)
    return pdr.DataFrameSchema(
        columns,
        strict=True,
        ordered=True,
        unique=list(spec.primary_key) or None,
        report_duplicates="all",
        name=spec.name,
    )


def _checks(rule: Rule, is_list: bool) -> list:
    import pandera.pandas as pdr

    checks = []
    values = rule.values()
    if rule.required:
        # ignore_na=False: a NULL (how Parquet stores a missing value) is what "required" refuses.
        checks.append(pdr.Check(lambda s: _flags(s, _present), name="required", ignore_na=False))
    if values is not None:
        allowed = frozenset(values)
        if is_list:
            checks.append(
                pdr.Check(
                    lambda s, a=allowed: _flags(s, lambda v: all(x in a for x in _items(v))),
                    name=f"items in {sorted(allowed)}",
                )
            )
        else:
            checks.append(
                pdr.Check(lambda s, a=allowed: _flags(s, lambda v: _blank(v) or v in a), name=f"in {sorted(allowed)}")
            )
    if rule.pattern:
        pattern = re.compile(rule.pattern)
        if is_list:
            checks.append(
                pdr.Check(
                    lambda s, p=pattern: _flags(s, lambda v: all(p.fullmatch(str(x)) for x in _items(v))),
                    name=f"items match {rule.pattern}",
                )
            )
        else:
            checks.append(
                pdr.Check(
                    lambda s, p=pattern: _flags(s, lambda v: _blank(v) or bool(p.fullmatch(str(v)))),
                    name=f"matches {rule.pattern}",
                )
            )
    if rule.minimum is not None:
        checks.append(
            pdr.Check(lambda s, m=rule.minimum: _flags(s, lambda v: _blank(v) or v >= m), name=f">= {rule.minimum:g}")
        )
    if rule.maximum is not None:
        checks.append(
            pdr.Check(lambda s, m=rule.maximum: _flags(s, lambda v: _blank(v) or v <= m), name=f"<= {rule.maximum:g}")
        )
    return checks


def _flags(series: pd.Series, test) -> pd.Series:
    """A boolean Series: ``test`` applied to each value (whatever the column's dtype)."""
    return pd.Series([bool(test(v)) for v in series.tolist()], index=series.index, dtype=bool)


def _items(value: Any) -> list:
    if value is None or (isinstance(value, float) and value != value):
        return []
    return list(value)


def _present(value: Any) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return False
    if isinstance(value, str | list | tuple | np.ndarray):
        return len(value) > 0
    return True


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _summarise(table: str, failures: pd.DataFrame) -> list[str]:
    out = []
    for (column, check), group in failures.groupby(["column", "check"], dropna=False, sort=False):
        cases = [str(v) for v in group["failure_case"].tolist()]
        where = table if column is None or column != column else f"{table}.{column}"
        out.append(f"{where}: {len(cases)} value(s) fail '{check}': {_sample(cases)}")
    return out


def _sample(values: list) -> str:
    shown = ", ".join(repr(v) for v in values[:5])
    return shown + (f" ... (+{len(values) - 5})" if len(values) > 5 else "")
