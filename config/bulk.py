"""Insert many new rows fast: COPY on PostgreSQL, bulk_create elsewhere.

For writers whose rows were all checked before the write and are inserted inside the caller's
transaction: the importers, the outbox's bulk path and a campaign's fan-out. They give each row
as its field values, not as a model instance: building SQL, or an instance, for each row was
most of their time; COPY streams plain tuples. The insert returns no ids: callers that need
them read the rows back by a natural key (a SIS id, a unique token hash), which they do anyway.

COPY has no ON CONFLICT: a row that breaks a unique constraint fails the whole statement, and
with it the caller's transaction, so nothing is half-written. Use these only where the caller
is the sole writer of the rows' unique keys (it checked them, and holds the lock that keeps
anyone else from writing them meanwhile).
"""

from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def _columns_and_defaults(model: type[models.Model]) -> list[tuple[models.Field, object]]:
    now = timezone.now()
    out = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if _is_auto_now(field):
            default = now
        elif field.has_default():
            default = field.get_default()
        elif field.null:
            default = None
        elif isinstance(field, models.CharField | models.TextField):
            default = ""
        else:
            default = models.NOT_PROVIDED
        out.append((field, default))
    return out


def _is_auto_now(field: models.Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _copy(
    model: type[models.Model], fields: Sequence[models.Field], tuples: Iterable[tuple]
) -> None:
    """COPY `tuples` (values in the order of `fields`) into the model's table. Values the driver
    cannot adapt by itself (a dict or a list for a JSON column) go through the field's own
    get_db_prep_save, as Django's INSERT would."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    prepared = [i for i, field in enumerate(fields) if isinstance(field, models.JSONField)]
    # The driver's own cursor runs COPY; its errors are raised as Django's (IntegrityError for a
    # duplicate key), like those of any query.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for values in tuples:
            if prepared:
                values = list(values)
                for i in prepared:
                    values[i] = fields[i].get_db_prep_save(values[i], connection)
            copy.write_row(values)


def bulk_insert(model: type[models.Model], rows: Iterable[dict]) -> int:
    """Insert `rows`: dicts of attname -> value, all with the same keys in the same order (the
    importers build them in one place); every other field takes its default."""
    rows = list(rows)
    if not rows:
        return 0
    keys = tuple(rows[0])
    spec = {field.attname: (field, default) for field, default in _columns_and_defaults(model)}
    unknown = set(keys) - set(spec)
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    rest = [(name, fd) for name, fd in spec.items() if name not in keys]
    for name, (_field, default) in rest:
        if default is models.NOT_PROVIDED:
            raise ValueError(f"{model.__name__}.{name} has no value and no default")
    tail = tuple(default for _name, (_field, default) in rest)
    names = [*keys, *(name for name, _fd in rest)]
    tuples = []
    for row in rows:
        if tuple(row) != keys:
            raise ValueError(f"{model.__name__}: rows must all have the same fields in one order")
        tuples.append((*row.values(), *tail))
    if connection.vendor == "postgresql":
        _copy(model, [spec[name][0] for name in names], tuples)
    else:
        model.objects.bulk_create(
            (model(**dict(zip(names, values, strict=True))) for values in tuples), batch_size=BATCH
        )
    return len(tuples)


def bulk_update_rows(model: type[models.Model], fields: list[str], rows: Iterable[dict]) -> int:
    """Set `fields` on the rows named by each dict's "id". On PostgreSQL the new values are
    COPYed into a temporary table and joined in one UPDATE (Django's bulk_update builds a CASE
    per field with a branch per row, which PostgreSQL plans very slowly at import sizes)."""
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        temp = quote(f"tmp_{meta.db_table}")
        names = [quote(f.column) for f in columns]
        pk = quote(meta.pk.column)
        # Every identifier here comes from the model's meta and is quoted: no user input.
        create = f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {pk}, {', '.join(names)} FROM {table} WITH NO DATA"  # noqa: S608, E501
        assignments = ", ".join(f"{n} = t.{n}" for n in names)
        update = f"UPDATE {table} SET {assignments} FROM {temp} t WHERE {table}.{pk} = t.{pk}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(create)
            with cursor.cursor.copy(f"COPY {temp} ({pk}, {', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row["id"], *(row[f.attname] for f in columns)])
            cursor.execute(update)
            cursor.execute(f"DROP TABLE {temp}")
    else:
        model.objects.bulk_update(
            [model(pk=row["id"], **{f.attname: row[f.attname] for f in columns}) for row in rows],
            [f.name for f in columns],
            batch_size=500,
        )
    return len(rows)


def bulk_update_objects(
    model: type[models.Model], objs: list[models.Model], fields: list[str]
) -> int:
    attnames = [model._meta.get_field(name).attname for name in fields]
    return bulk_update_rows(
        model, fields, ({"id": o.pk, **{a: getattr(o, a) for a in attnames}} for o in objs)
    )
