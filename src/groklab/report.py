"""An HTML page of every reproduced figure and the table of its checked claims.

:func:`write_report` reads the ``*.claims.json`` files that :func:`groklab.figures.reproduce`
left under a folder and writes ``report.html`` next to them: a summary count, then for each
figure its title, paper and figure number, the PNG (linked by relative path, so the folder can
be moved or served as is) and a table of claims (claim, measured, expected, pass/fail).
Standard library only.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

__all__ = ["write_report", "read_claims"]

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; }
.summary { font-size: 1.1em; margin: 0.5em 0 1.5em; }
.fig { border-top: 1px solid #ccc; padding: 1em 0; }
.fig img { max-width: 100%; border: 1px solid #eee; }
.meta { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin-top: 0.6em; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.pass { background: #d9f2d9; color: #11661a; font-weight: bold; }
td.fail { background: #f8d7d7; color: #a11; font-weight: bold; }
span.pass { color: #11661a; font-weight: bold; }
span.fail { color: #a11; font-weight: bold; }
code { font-size: 0.95em; }
"""


def read_claims(out_dir: str | os.PathLike) -> list[dict]:
    """Every claims record under ``out_dir``, sorted by figure id.

    Raises
    ------
    FileNotFoundError
        If ``out_dir`` does not exist.
    CorruptResultError
        If a claims file is not valid JSON.
    """
    from groklab.figures import CLAIMS_SUFFIX
    from groklab.store import CorruptResultError

    root = Path(out_dir)
    if not root.is_dir():
        raise FileNotFoundError(
            f"No folder {root}: run `groklab reproduce all --quick --out {root}` first."
        )
    records = []
    for path in sorted(root.rglob("*" + CLAIMS_SUFFIX)):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptResultError(
                f"Claims file {path} is unreadable ({exc}); run `groklab reproduce` again."
            ) from None
        if not isinstance(record, dict) or "claims" not in record:
            raise CorruptResultError(f"Claims file {path} is not a groklab claims record.")
        stem = path.relative_to(root).as_posix()[: -len(CLAIMS_SUFFIX)]
        record.setdefault("figure", stem)
        # Image paths relative to ``out_dir``, found next to the claims file (the folder may
        # have been moved since it was written).
        record["_png"], record["_pdf"] = stem + ".png", stem + ".pdf"
        records.append(record)
    return sorted(records, key=lambda r: str(r.get("figure")))


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


def _figure_html(record: dict, root: Path) -> str:
    fig_id = str(record.get("figure", "?"))
    png, pdf = record.get("_png"), record.get("_pdf")
    if png and (root / png).exists():
        link = f'<a href="{escape(pdf)}">PDF</a>' if pdf and (root / pdf).exists() else ""
        img = f'<img src="{escape(png)}" alt="{escape(fig_id)}">\n<div class="meta">{link}</div>'
    else:
        img = '<p class="meta">Figure image missing.</p>'
    rows = []
    for c in record.get("claims", []):
        ok = bool(c.get("passed"))
        cls, word = ("pass", "pass") if ok else ("fail", "FAIL")
        rows.append(
            "<tr>"
            f"<td>{escape(_fmt(c.get('claim')))}</td>"
            f"<td>{escape(_fmt(c.get('measured')))}</td>"
            f"<td>{escape(_fmt(c.get('expected')))}</td>"
            f'<td class="{cls}">{word}</td>'
            "</tr>"
        )
    table = (
        "<table><tr><th>claim</th><th>measured</th><th>expected</th><th>result</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else '<p class="meta">No claims recorded for this figure.</p>'
    )
    meta = (
        f"{escape(str(record.get('paper', '')))}, Fig. {escape(str(record.get('number', '?')))}"
        f" · variant <code>{escape(str(record.get('variant', '?')))}</code>"
    )
    if record.get("seconds") is not None:
        meta += f" · {float(record['seconds']):.1f} s"
    desc = record.get("description")
    desc_html = f"<p>{escape(str(desc))}</p>" if desc else ""
    return (
        f'<div class="fig" id="{escape(fig_id)}">\n'
        f"<h2>{escape(fig_id)}: {escape(str(record.get('title', '')))}</h2>\n"
        f'<div class="meta">{meta}</div>\n{desc_html}\n{img}\n{table}\n</div>'
    )


def write_report(out_dir: str | os.PathLike) -> Path:
    """Write ``out_dir/report.html`` from the claims files under ``out_dir``; return its path.

    Raises
    ------
    FileNotFoundError
        If ``out_dir`` does not exist or holds no reproduced figure.
    """
    from groklab import __version__

    root = Path(out_dir)
    records = read_claims(root)
    if not records:
        raise FileNotFoundError(
            f"No reproduced figures under {root}: run "
            f"`groklab reproduce all --quick --out {root}` first."
        )
    n_claims = sum(len(r.get("claims", [])) for r in records)
    n_pass = sum(bool(c.get("passed")) for r in records for c in r.get("claims", []))
    n_fail = n_claims - n_pass
    figs_ok = sum(all(c.get("passed") for c in r.get("claims", [])) for r in records)
    verdict = (
        '<span class="pass">all claims pass</span>'
        if n_fail == 0
        else f'<span class="fail">{n_fail} claim{" fails" if n_fail == 1 else "s fail"}</span>'
    )
    toc = "".join(
        f'<li><a href="#{escape(str(r["figure"]))}">{escape(str(r["figure"]))}</a> — '
        f"{escape(str(r.get('title', '')))}</li>"
        for r in records
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(_figure_html(r, root) for r in records)
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>groklab report</title>
<style>{_CSS}</style>
</head>
<body>
<h1>groklab: reproduced figures</h1>
<div class="meta">groklab {escape(__version__)} · written {escape(stamp)}</div>
<p class="summary">{len(records)} figure{"s" if len(records) != 1 else ""}, {figs_ok} with every
claim passing; {n_pass} of {n_claims} claims pass: {verdict}.</p>
<ul>{toc}</ul>
{body}
</body>
</html>
"""
    path = root / "report.html"
    tmp = path.with_name(f"report.html.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
