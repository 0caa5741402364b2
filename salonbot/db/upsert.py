"""Single-statement `INSERT … ON CONFLICT` for the hot write paths (PostgreSQL and SQLite alike).

Django's `bulk_create(update_conflicts=…)` can neither make the update conditional nor hand back
the row as it stands after the statement; these two can, in one round trip each.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model


def _insert_parts(instance: Model):
    model = type(instance)
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    return connection, quote, columns, insert, values


def insert_or_get(instance: Model, *, unique: list[str]) -> tuple[Model, bool]:
    """Insert `instance`'s row unless one with the same `unique` columns exists; (the row, created).

    An existing row is neither locked nor changed. On PostgreSQL one statement (the insert and the
    read of an existing row in one CTE); elsewhere, or when a concurrent insert committed the row
    after this statement's snapshot was taken, a second statement reads it.
    """
    model = type(instance)
    connection, quote, columns, insert, values = _insert_parts(instance)
    conflict = ", ".join(quote(model._meta.get_field(name).column) for name in unique)
    insert = f"{insert} ON CONFLICT ({conflict}) DO NOTHING RETURNING {columns}"
    keys = [model._meta.get_field(name) for name in unique]
    if connection.vendor == "postgresql":
        where = " AND ".join(f"{quote(f.column)} = %s" for f in keys)
        table = quote(model._meta.db_table)
        sql = f"WITH new AS ({insert}) SELECT * FROM new UNION ALL SELECT {columns} FROM {table} WHERE {where}"
        params = [*values, *[f.get_db_prep_value(getattr(instance, f.attname), connection) for f in keys]]
    else:
        sql, params = insert, values
    rows = list(model._base_manager.raw(sql, params))
    row = rows[0] if rows else model._base_manager.get(**{f.attname: getattr(instance, f.attname) for f in keys})
    return row, row.pk == instance.pk


def insert_or_update(
    instance: Model, *, unique: list[str], set_sql: str, where_sql: str = "", params=(), returning: str = ""
) -> tuple | None:
    """Insert `instance`'s row, or on a `unique` conflict `UPDATE SET set_sql [WHERE where_sql]`.

    Returns the `returning` columns (all by default) of the row as the statement left it, or None
    when `where_sql` refused the update. In `set_sql`/`where_sql` the table's name is the existing
    row, `excluded` the new one.
    """
    model = type(instance)
    connection, quote, columns, insert, values = _insert_parts(instance)
    conflict = ", ".join(quote(model._meta.get_field(name).column) for name in unique)
    sql = f"{insert} ON CONFLICT ({conflict}) DO UPDATE SET {set_sql}"
    if where_sql:
        sql += f" WHERE {where_sql}"
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {returning or columns}", [*values, *params])
        return cursor.fetchone()
