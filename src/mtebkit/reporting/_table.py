"""One report object, many renderings: terminal, Markdown, CSV, LaTeX, HTML, pandas.

A :class:`Table` holds typed cells (numbers stay numbers until rendered, so CSV and DataFrame
keep full precision); a :class:`Report` is a titled list of tables, images (PNG bytes) and
paragraphs, rendered as one Markdown file or ONE self-contained HTML page (inline CSS, images as
base64 data URIs, no network access).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtebkit._util.atomic import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Image", "Paragraph", "Report", "Table", "clip", "fit_widths", "format_cell"]

Cell = Any


# one pass, so the braces of \textbackslash{} are not escaped again
_LATEX = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
        "\n": " ",
    }
)
_MARKDOWN_SPECIAL = "\\`*<>|"


def latex_escape(text: str) -> str:
    """``text`` as literal LaTeX (task and model names may hold _, &, %, #, ...)."""
    return text.translate(_LATEX)


def markdown_escape(text: str) -> str:
    """``text`` as a literal Markdown table cell: no emphasis, links, HTML or cell breaks.

    What renders literally anyway stays readable: an underscore inside a word
    (``cosine_spearman``) and brackets that form no link (``org/m [max_length-128]``).
    """
    link = "](" in text or "][" in text
    out = []
    for i, ch in enumerate(text):
        inner = 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        if ch in _MARKDOWN_SPECIAL or (ch == "_" and not inner) or (link and ch in "[]"):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out).replace("\r", " ").replace("\n", " ")


def _csv_text(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula (=, +, -, @) gets a leading quote."""
    if not isinstance(value, str) or len(value) < 2 or value[0] not in "=+-@\t\r":
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value  # a number written as text ("-0.5") is data, not a formula


def format_cell(value: Cell, digits: int = 2) -> str:
    """Display form of a cell: floats with ``digits`` decimals, None/NaN as ``-``, bools as yes/no."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        text = f"{value:.{digits}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"
    return str(value)


def _wrapper(width: int | None) -> Callable[[str], str]:
    """Wraps each line of a text to ``width`` (None: unchanged)."""
    if width is None:
        return lambda text: text
    return lambda text: "\n".join(
        textwrap.fill(line, width, break_on_hyphens=False) if line else line
        for line in text.split("\n")
    )


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the cut marked with "…"."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def fit_widths(
    widths: Sequence[int], max_width: int, *, shrinkable: Sequence[int] | range, gap: int = 2
) -> list[int]:
    """Column widths that fit ``max_width`` (``gap`` spaces between columns) by narrowing the
    widest ``shrinkable`` columns, none below 8; the rest keep their width (numbers are never
    cut), so a table of many numeric columns may still be wider."""
    out = list(widths)
    cols = [i for i in shrinkable if i < len(out)]
    while cols and sum(out) + gap * (len(out) - 1) > max_width:
        widest = max(cols, key=lambda i: out[i])
        if out[widest] <= 8:
            break
        out[widest] -= 1
    return out


@dataclass
class Table:
    """A titled table; ``bold`` marks (row, column) cells to emphasise (e.g. the best score).

    ``column_digits`` overrides ``digits`` for the named columns (p-values need more than 2).
    """

    columns: list[str]
    rows: list[list[Cell]]
    title: str = ""
    digits: int = 2
    note: str = ""
    bold: set[tuple[int, int]] = field(default_factory=set)
    align_left: int = 1  # the first N columns are text, left-aligned
    column_digits: dict[str, int] = field(default_factory=dict)
    uncut: tuple[int, ...] = ()  # text columns never cut to fit (names a user copies)

    def __post_init__(self) -> None:
        for i, r in enumerate(self.rows):
            if len(r) != len(self.columns):
                raise ValueError(
                    f"table {self.title!r}: row {i} has {len(r)} cells, expected {len(self.columns)}"
                )

    def cells(self) -> list[list[str]]:
        digits = [self.column_digits.get(c, self.digits) for c in self.columns]
        return [[format_cell(v, d) for v, d in zip(r, digits, strict=True)] for r in self.rows]

    def to_terminal(self, max_width: int | None = None) -> str:
        """Aligned text (tabulate's ``plain`` format); with ``max_width``, the text columns are
        cut (with "…") to fit, except the ``uncut`` ones, printed whole."""
        from tabulate import tabulate  # lazily: `mtebkit --help` imports this module

        body = self.cells()
        widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(self.columns)]
        wrap = _wrapper(max_width)
        header = list(self.columns)
        # uncut cells wider than their column, by (row, column): printed whole, they push the
        # rest of their row right (one line per row: not with multi-line cells)
        whole: dict[tuple[int, int], str] = {}
        if max_width is not None:
            text_cols = [i for i in range(self.align_left) if i not in self.uncut]
            one_line = not any("\n" in c for r in body for c in r)
            if sum(widths) + 2 * (len(widths) - 1) > max_width and len(body) >= 20:
                # a few very long cells should not squeeze every other row: cut those first
                for i in range(self.align_left):
                    if i in self.uncut and not one_line:
                        continue
                    lengths = sorted(len(r[i]) for r in body)
                    typical = lengths[int(0.95 * (len(lengths) - 1))]
                    widths[i] = max(len(self.columns[i]), min(widths[i], typical))
            widths = fit_widths(widths, max_width, shrinkable=text_cols)
            header = [clip(c, w) for c, w in zip(header, widths, strict=True)]
            for ri, r in enumerate(body):
                for i in self.uncut:
                    if i < len(r) and len(r[i]) > widths[i]:
                        whole[ri, i] = r[i]
            body = [[clip(c, w) for c, w in zip(r, widths, strict=True)] for r in body]
        # the header and its dashes as rows: tabulate's own header pads it by 2 columns
        text = tabulate(
            [header, ["-" * w for w in widths], *body],
            tablefmt="plain",
            colalign=["left" if i < self.align_left else "right" for i in range(len(header))],
            disable_numparse=True,
            preserve_whitespace=True,
        )
        lines = text.split("\n")
        for (ri, i), cell in whole.items():
            start = sum(widths[:i]) + 2 * i  # plain: no padding, two spaces between columns
            line = lines[ri + 2]
            lines[ri + 2] = line[:start] + cell + line[start + widths[i] :]
        out = [wrap(self.title)] if self.title else []
        out += [line.rstrip() for line in lines]
        if self.note:
            out.append(wrap(self.note))
        return "\n".join(out)

    def to_markdown(self) -> str:
        esc = markdown_escape
        body = [[esc(c) for c in r] for r in self.cells()]
        for ri, ci in self.bold:
            if ri < len(body) and body[ri][ci] != "-":
                body[ri][ci] = f"**{body[ri][ci]}**"
        out = [f"### {esc(self.title)}", ""] if self.title else []
        out.append("| " + " | ".join(esc(c) for c in self.columns) + " |")
        out.append(
            "|"
            + "|".join(":---" if i < self.align_left else "---:" for i in range(len(self.columns)))
            + "|"
        )
        out += ["| " + " | ".join(r) + " |" for r in body]
        if self.note:
            out += ["", self.note]
        return "\n".join(out) + "\n"

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([_csv_text(c) for c in self.columns])
        for r in self.rows:
            w.writerow(
                [
                    "" if v is None else (repr(v) if isinstance(v, float) else _csv_text(v))
                    for v in r
                ]
            )
        return buf.getvalue()

    def to_latex(self) -> str:
        esc = latex_escape
        body = self.cells()
        n_left = min(self.align_left, len(self.columns))
        spec = "l" * n_left + "r" * (len(self.columns) - n_left)
        out = [r"\begin{table}[ht]", r"\centering"]
        if self.title:
            out.append(rf"\caption{{{esc(self.title)}}}")
        out += [
            rf"\begin{{tabular}}{{{spec}}}",
            r"\hline",
            " & ".join(esc(c) for c in self.columns) + r" \\",
            r"\hline",
        ]
        for ri, r in enumerate(body):
            cells = [
                rf"\textbf{{{esc(c)}}}" if (ri, ci) in self.bold else esc(c)
                for ci, c in enumerate(r)
            ]
            out.append(" & ".join(cells) + r" \\")
        out += [r"\hline", r"\end{tabular}", r"\end{table}"]
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        body = self.cells()
        out = [f"<h3>{html.escape(self.title)}</h3>"] if self.title else []
        out.append(
            "<table><thead><tr>"
            + "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
            + "</tr></thead><tbody>"
        )
        for ri, r in enumerate(body):
            tds = []
            for ci, c in enumerate(r):
                cls = ' class="num"' if ci >= self.align_left else ""
                text = html.escape(c)
                if (ri, ci) in self.bold:
                    text = f"<b>{text}</b>"
                tds.append(f"<td{cls}>{text}</td>")
            out.append("<tr>" + "".join(tds) + "</tr>")
        out.append("</tbody></table>")
        if self.note:
            out.append(f'<p class="note">{html.escape(self.note)}</p>')
        return "\n".join(out)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([list(r) for r in self.rows], columns=self.columns)


@dataclass
class Image:
    """A PNG figure embedded in the report."""

    title: str
    png: bytes
    filename: str = "figure.png"


@dataclass
class Paragraph:
    text: str


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even){background:#fafafa}
p.note{color:#555;font-size:0.85em}
img{max-width:100%;border:1px solid #eee}
"""


@dataclass
class Report:
    """A titled sequence of tables, images and paragraphs."""

    title: str
    items: list[Table | Image | Paragraph] = field(default_factory=list)

    def add(self, item: Table | Image | Paragraph) -> None:
        self.items.append(item)

    @property
    def tables(self) -> list[Table]:
        return [i for i in self.items if isinstance(i, Table)]

    def to_dataframes(self) -> dict[str, pd.DataFrame]:
        """``{table title: DataFrame}`` for every table of the report."""
        return {t.title or f"table{i}": t.to_dataframe() for i, t in enumerate(self.tables, 1)}

    def to_terminal(self, max_width: int | None = None) -> str:
        """Text; with ``max_width``, tables fit it (see :meth:`Table.to_terminal`) and titles
        and paragraphs are wrapped to it."""
        wrap = _wrapper(max_width)
        parts = [wrap(self.title), "=" * min(len(self.title), max_width or len(self.title))]
        for i in self.items:
            if isinstance(i, Table):
                parts += [i.to_terminal(max_width), ""]
            elif isinstance(i, Paragraph):
                parts += [wrap(i.text), ""]
        return "\n".join(parts).rstrip() + "\n"

    def to_markdown(self, image_dir: str | None = None) -> str:
        parts = [f"# {markdown_escape(self.title)}", ""]
        for i in self.items:
            if isinstance(i, Table):
                parts.append(i.to_markdown())
            elif isinstance(i, Paragraph):
                parts += [i.text, ""]
            elif isinstance(i, Image) and image_dir is not None:
                parts += [f"![{markdown_escape(i.title)}]({image_dir}/{i.filename})", ""]
        return "\n".join(parts)

    def to_html(self) -> str:
        """ONE self-contained page: inline CSS, images as base64 data URIs, no scripts, no links out."""
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for i in self.items:
            if isinstance(i, Table):
                parts.append(i.to_html())
            elif isinstance(i, Paragraph):
                parts.append(f"<p>{html.escape(i.text)}</p>")
            else:
                data = base64.b64encode(i.png).decode("ascii")
                parts.append(f"<h3>{html.escape(i.title)}</h3>")
                parts.append(
                    f'<img alt="{html.escape(i.title)}" src="data:image/png;base64,{data}">'
                )
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"

    def write(self, out_dir: str | Path, stem: str = "report") -> dict[str, Path]:
        """Write ``<stem>.md``, ``<stem>.html``, one CSV per table and the PNGs; return the paths."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for i in self.items:
            if isinstance(i, Image):
                from mtebkit.results import safe_name

                p = out_dir / safe_name(i.filename, kind="file")
                atomic_write_bytes(p, i.png)
                written[i.filename] = p
        md = out_dir / f"{stem}.md"
        atomic_write_text(md, self.to_markdown(image_dir="."))
        written["markdown"] = md
        page = out_dir / f"{stem}.html"
        atomic_write_text(page, self.to_html())
        written["html"] = page
        for n, t in enumerate(self.tables, 1):
            name = _slug(t.title) or f"table{n}"
            p = out_dir / f"{stem}_{name}.csv"
            atomic_write_text(p, t.to_csv())
            written[f"csv:{t.title}"] = p
        return written


def _slug(s: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "_" for c in s)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")[:60]
