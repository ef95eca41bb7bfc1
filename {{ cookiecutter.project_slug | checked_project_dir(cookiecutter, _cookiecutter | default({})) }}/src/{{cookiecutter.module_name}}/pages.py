"""Self-contained HTML pages for the reports: inline CSS and SVG, no script, no link out.

A report must open from a file, an e-mail or a CI artifact store, offline, years later: nothing
it shows may depend on a network or a script.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.6rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
figure { display: inline-block; margin: 0.5rem 1rem 0.5rem 0; } svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; }
.ok { color: #1a7f37; } .watch, .moderate { color: #9a6700; } .alert, .critical { color: #cf222e; font-weight: 600; }
.insufficient { color: #777; } .status { font-size: 1.1rem; }
"""


def page(title: str, sections: Sequence[tuple[str, str]], lead: str = "") -> str:
    """A whole HTML document: a title, a lead paragraph and (heading, HTML) sections."""
    body = "".join(f'<section id="{_anchor(h)}"><h2>{escape(h)}</h2>{html}</section>' for h, html in sections)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"{f'<p>{lead}</p>' if lead else ''}{body}</body></html>\n"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]], classes: Sequence[str] = ()) -> str:
    """A table of values (numbers shown to 4 significant digits); `classes` styles each row."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    lines = []
    for index, row in enumerate(rows):
        css = f' class="{classes[index]}"' if index < len(classes) and classes[index] else ""
        lines.append(f"<tr{css}>" + "".join(f"<td>{escape(cell(v))}</td>" for v in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _anchor(heading: str) -> str:
    return "-".join(heading.lower().split())
