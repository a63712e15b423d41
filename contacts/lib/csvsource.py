"""Reading CSV files for the importers: from a folder or a zip, with line numbers, a progress
bar, and the data-minimisation guard applied to every header."""

import csv
import io
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from tqdm import tqdm

from privacy.minimisation import NOT_COLLECTED_MESSAGE, forbidden_columns


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} [{self.column}] {self.reason}" if self.column else f"{where} {self.reason}"


@dataclass
class ImportReport:
    """What a run did: counts, the rows it refused (`errors`: nothing of them was written), what
    it imported but the district should look at (`warnings`: a reference to nobody in the
    export), and changes worth reading one by one (`notes`: each adult renamed)."""

    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def reject(self, file: str, line: int, column: str, reason: str) -> None:
        self.errors.append(RowError(file, line, column, reason))

    def warn(self, file: str, line: int, column: str, reason: str) -> None:
        self.warnings.append(RowError(file, line, column, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def rejected_lines(self) -> int:
        return len({(e.file, e.line) for e in self.errors if e.line > 1})

    def summary(self) -> str:
        """One line of counts, then each warning and each note on a line of its own."""
        parts = [f"{self.rows} rows read"]
        parts += [f"{key} {value}" for key, value in sorted(self.counts.items()) if value]
        parts.append(f"{self.rejected_lines} rows rejected")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warnings")
        lines = [", ".join(parts)]
        lines += [f"warning: {w}" for w in sorted(self.warnings, key=lambda w: (w.file, w.line))]
        lines += self.notes
        return "\n".join(lines)


class Source:
    """A folder or a zip file holding CSV files by name."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path} does not exist")
        self._zip = zipfile.ZipFile(self.path) if self.path.is_file() else None
        self._names = (
            {Path(n).name: n for n in self._zip.namelist()}
            if self._zip
            else {p.name: p for p in self.path.iterdir()}
        )

    def has(self, name: str) -> bool:
        return name in self._names

    def text(self, name: str) -> str:
        if self._zip:
            raw = self._zip.read(self._names[name])
        else:
            raw = Path(self._names[name]).read_bytes()
        return raw.decode("utf-8-sig")


def read_rows(
    text: str,
    file: str,
    report: ImportReport,
    *,
    required: tuple[str, ...] = (),
    progress: bool = False,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row. Forbidden columns are reported once on line 1
    and dropped from every row; the rest of the file is still read. A missing required column is
    reported and no row is yielded."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    dropped = set(forbidden_columns(header))
    for column in forbidden_columns(header):
        report.reject(file, 1, column, NOT_COLLECTED_MESSAGE.format(key=column))
    missing = [c for c in required if c not in header]
    if missing:
        for column in missing:
            report.reject(file, 1, column, f"required column '{column}' is missing")
        return
    width = len(header)
    keep = [i for i, name in enumerate(header) if name not in dropped]
    if not keep:
        return
    names = [header[i] for i in keep]
    pick = itemgetter(*keep) if len(keep) > 1 else (lambda cells: (cells[keep[0]],))
    bar = tqdm(
        total=text.count("\n"),
        desc=file,
        unit="rows",
        disable=not progress,
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
    )
    with bar:
        for cells in reader:
            bar.update(1)
            if not cells:  # a blank line is no row
                continue
            report.rows += 1
            if len(cells) > width:
                report.reject(file, reader.line_num, "", "the row has more cells than the header")
                continue
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield reader.line_num, dict(zip(names, map(str.strip, pick(cells)), strict=True))
