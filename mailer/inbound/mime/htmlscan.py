"""HTML -> text for reading inbound mail: a tag scanner.   [pure]

Not `mailer/htmltext.py` (the outbound wing's html.parser-based converter): the two answer different
questions. Outbound writes the text alternative of our own HTML, so it keeps link targets
("ici (https://...)") and ends with a newline; inbound reads other people's HTML to find their own
words, so <blockquote> becomes "> " lines that `quotes.strip_quotes` can drop, and it must stay fast
on hostile or huge markup (html.parser took ~6 ms on a 58 KB AOL bounce). One converter for both
would change what one of the wings produces.
"""

from __future__ import annotations

import re
from html import unescape

_TAG_RE = re.compile(r"""<!--.*?(?:-->|$)|<!\[CDATA\[.*?(?:\]\]>|$)|<[!?][^<>]*>|"""
                     r"""<(/?)([a-zA-Z][a-zA-Z0-9:-]*)((?:[^<>"']|"[^"<]*"|'[^'<]*')*)>""", re.DOTALL)
_HTML_BLOCKS = frozenset({
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "dt", "dd", "blockquote",
    "hr", "pre", "address", "section", "article", "header", "footer", "aside", "nav", "form", "fieldset", "center",
    "caption", "body"})
_HTML_HIDDEN = frozenset({"style", "script", "title", "noscript", "template"})


def readable_text(html: str) -> str:
    """Readable text from HTML: line breaks at block elements, no <style>/<script>, <blockquote> as "> ".

    A tag scanner rather than html.parser: the latter took ~6 ms on a 58 KB AOL bounce."""
    lines: list[str] = []
    line: list[str] = []
    quote = line_quote = pre = 0
    hidden = ""                          # the element whose content is being skipped
    pre_seen = False
    rows: list[list[int]] = []           # per open <tr>: where its lines start, then where each cell's do

    def flush(force: bool = False) -> None:
        nonlocal line, line_quote
        if line or force:
            lines.append("> " * line_quote + "".join(line).strip())
            line = []
        line_quote = quote

    def add(data: str) -> None:
        if not data:
            return
        data = unescape(data)
        if pre:
            first, *rest = data.split("\n")
            line.append(first)
            for piece in rest:
                flush(force=True)
                line.append(piece)
            return
        data = _SPACES.sub(" ", data)
        if not line:
            data = data.lstrip(" ")
        if data:
            line.append(data)

    pos = 0
    for m in _TAG_RE.finditer(html):
        tag = (m[2] or "").lower()
        closing = m[1] == "/"
        if hidden:
            if closing and tag == hidden:
                hidden = ""
            pos = m.end()
            continue
        add(html[pos:m.start()])
        pos = m.end()
        if not tag:
            continue                     # comment, doctype, CDATA
        if tag in _HTML_HIDDEN:
            if not closing and not m[3].rstrip().endswith("/"):
                hidden = tag
        elif tag == "br":
            flush(force=True)
        elif tag in _HTML_BLOCKS:
            if tag == "blockquote":
                quote = max(0, quote + (-1 if closing else 1))
            elif tag == "pre":
                pre = max(0, pre + (-1 if closing else 1))
                pre_seen = True
            flush()
            if tag == "li" and not closing:
                line.append("- ")
            elif tag == "tr":
                if closing and rows:
                    _one_line_per_row(lines, rows.pop())
                elif not closing:
                    rows.append([len(lines)])
        elif tag in ("td", "th") and not closing:
            if rows:
                flush()                 # each cell on its line, put back on the row's at </tr>
                rows[-1].append(len(lines))
            elif line:
                line.append("\t")       # a cell: the readers take a tab for a column (a table row)
    if not hidden:
        add(html[pos:])
    flush()
    text = "\n".join(lines).replace("\xa0", " ")
    text = "\n".join(row.rstrip() for row in text.split("\n"))
    text = re.sub(r"(?<=\S)(?:[ \t]*\t[ \t]*|[ ]{2,})(?=\S)", lambda m: "\t" if "\t" in m[0] else " ", text) \
        if not pre_seen else text
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_SPACES = re.compile(r"[ \t\r\n\f]+")
_ROW_LINES, _ROW_LINE_CHARS = 12, 160    # a data table's row; more is a layout table holding a whole mail


def _one_line_per_row(lines: list[str], row: list[int]) -> None:
    """A data table's row as one line, its cells a tab apart, even when each cell holds paragraphs
    (Word's <td><p class=MsoNormal>): "24/01 | Stand place de Jaude | 156 signatures" is one deed."""
    start, cells = row[0], row[1:]
    texts = lines[start:]
    if len(cells) < 2 or not texts or len(texts) > _ROW_LINES or any(len(t) > _ROW_LINE_CHARS for t in texts):
        return
    prefix = re.match(r"(?:> )*", texts[0]).group(0)
    bounds = [*cells, len(lines)]
    joined = ["\t".join(" ".join(t[len(prefix):] if t.startswith(prefix) else t for t in lines[a:b] if t.strip())
                        for a, b in zip(bounds, bounds[1:], strict=False) if any(t.strip() for t in lines[a:b]))]
    lines[start:] = [prefix + "\t".join(joined)] if joined else []
