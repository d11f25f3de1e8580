"""A bulletin's Markdown draft -> the HTML and the text of its body.   [pure]

Parsed by markdown-it-py (CommonMark: the dialect coordinators meet elsewhere, with a spec and
a test suite, where hand-written parsing would get nesting and escapes wrong), with raw HTML
off: what a coordinator types (`<script>`, `&`, `{{ ... }}`) is text, escaped, never markup nor
template source; links go through markdown-it's own check (no `javascript:`). The text part is
written from the same parse (its tokens), so both parts say the same thing: headings underlined,
lists with a dash or their number, a link's target after its words, paragraphs wrapped at 72.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

WIDTH = 72
# French puts a space before ; : ? ! » and after «: a no-break one, so no line starts with them.
_FRENCH = ((" ;", "\u00a0;"), (" :", "\u00a0:"), (" ?", "\u00a0?"), (" !", "\u00a0!"), (" »", "\u00a0»"),
           ("« ", "«\u00a0"))


@dataclass(frozen=True)
class BulletinBody:
    """What templates print as `bulletin.html` (markup, already escaped) and `bulletin.text`."""

    html: Markup
    text: str


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render_markdown(source: str) -> BulletinBody:
    parser = _parser()
    tokens = parser.parse(source)
    return BulletinBody(Markup(parser.renderer.render(tokens, parser.options, {})), _text(tokens))


def _inline(token: Token) -> str:
    """An inline token's words: emphasis dropped, a link's target after its text."""
    out: list[str] = []
    links: list[tuple[str, int]] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "link_open":
            links.append((str(child.attrs.get("href", "")), len(out)))
        elif child.type == "link_close" and links:
            href, start = links.pop()
            words = "".join(out[start:])
            shown = href[7:] if href.startswith("mailto:") else href
            if shown and shown != words:
                out.append(f" ({shown})")
        elif child.type == "image":
            alt = "".join(c.content for c in child.children or [])
            out.append(f"{alt} ({child.attrs.get('src', '')})" if alt else str(child.attrs.get("src", "")))
    return "".join(out)


def _french(text: str) -> str:
    for before, after in _FRENCH:
        text = text.replace(before, after)
    return text


def _wrap(text: str, first: str, rest: str) -> str:
    lines = []
    for n, line in enumerate(_french(text).split("\n")):
        lines.append(textwrap.fill(line, WIDTH, initial_indent=first if n == 0 else rest, subsequent_indent=rest,
                                   break_long_words=False, break_on_hyphens=False) or (first if n == 0 else rest))
    return "\n".join(lines)


def _text(tokens: list[Token]) -> str:
    """The text part: one blank line between blocks; the items of a tight list one under another."""
    blocks: list[str] = []
    lists: list[list[int]] = []         # per open list: [ordered (0/1), next number]
    marker = ""                          # the "- " or "3. " of a list item's first paragraph
    item_indent = ""                     # where an item's following lines start
    joined = False                       # the next block goes on the line after the previous one
    quote = 0
    heading = ""
    for n, token in enumerate(tokens):
        prefix = "> " * quote
        if token.type == "heading_open":
            heading = token.tag
        elif token.type == "inline" and heading:
            words = _french(_inline(token))
            line = {"h1": "=", "h2": "-"}.get(heading)
            blocks.append(prefix + words + (f"\n{prefix}{line * len(words)}" if line else ""))
            heading = ""
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([token.type == "ordered_list_open", int(token.attrs.get("start", 1) or 1)])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open" and lists:
            ordered, number = lists[-1]
            marker = f"{number}. " if ordered else "- "
            # a tight list's paragraphs are hidden: its items follow one another line by line
            joined = number > (int(tokens[n - 1].attrs.get("start", 1) or 1) if tokens[n - 1].type ==
                               "ordered_list_open" else 1) and n + 1 < len(tokens) and tokens[n + 1].hidden
            lists[-1][1] += 1
        elif token.type == "blockquote_open":
            quote += 1
        elif token.type == "blockquote_close":
            quote -= 1
        elif token.type == "inline":
            depth = "   " * max(0, len(lists) - 1)
            if marker:
                item_indent = prefix + depth + " " * len(marker)
                text = _wrap(_inline(token), prefix + depth + marker, item_indent)
            else:
                rest = item_indent if lists else prefix
                text = _wrap(_inline(token), rest, rest)
            if joined and blocks:
                blocks[-1] += "\n" + text
            else:
                blocks.append(text)
            marker, joined = "", False
        elif token.type in ("fence", "code_block"):
            blocks.append(textwrap.indent(token.content.rstrip("\n"), "    "))
        elif token.type == "hr":
            blocks.append("-" * 40)
    return "\n\n".join(blocks).rstrip() + "\n" if blocks else ""


def escape_markdown(value: str) -> str:
    """A value from the store (a name, a summary) written into a draft as text: every character
    Markdown could read as markup is backslash-escaped (CommonMark escapes any ASCII punctuation)."""
    out = []
    for char in str(value):
        out.append("\\" + char if char in "\\`*_{}[]<>()#+-.!|~&" else char)
    return "".join(out)
