"""Insert many new rows fast: COPY on PostgreSQL, bulk_create elsewhere.

For the importers, whose rows were all checked before the write and are inserted inside the
caller's transaction. Building model instances and SQL for each row was most of an import's
time; COPY streams plain tuples. Returns nothing: callers that need the new ids read them back
by their natural key (SIS id), which they do anyway.
"""

from collections.abc import Iterable

from django.db import connection, models
from django.utils import timezone

BATCH = 5000


def _columns_and_defaults(model: type[models.Model]) -> list[tuple[models.Field, object]]:
    now = timezone.now()
    out = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
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


def bulk_insert(model: type[models.Model], rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts of attname -> value; missing fields take their defaults)."""
    spec = _columns_and_defaults(model)
    tuples = []
    for row in rows:
        values = []
        for field, default in spec:
            value = row.get(field.attname, default)
            if value is models.NOT_PROVIDED:
                raise ValueError(f"{model.__name__}.{field.attname} has no value and no default")
            values.append(value)
        tuples.append(values)
    if not tuples:
        return 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f, _ in spec)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for values in tuples:
                copy.write_row(values)
    else:
        names = [f.attname for f, _ in spec]
        model.objects.bulk_create(
            (model(**dict(zip(names, values, strict=True))) for values in tuples), batch_size=BATCH
        )
    return len(tuples)
