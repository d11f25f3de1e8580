"""HTML -> readable plain text, for a text part derived from an HTML template.   [pure]

Small on purpose (stdlib html.parser): block elements end lines, links keep their target,
list items get a dash, <style>/<script>/<head> vanish, runs of blank lines collapse.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
           "blockquote", "section", "article", "header", "footer", "hr", "pre"}
_SKIP = {"style", "script", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag in {"p", "h1", "h2", "h3", "table", "ul", "ol"} else "\n")
            if tag == "li":
                self.parts.append("- ")
            elif tag == "hr":
                self.parts.append("-" * 40 + "\n")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.parts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("#"):
                shown = href[7:] if href.startswith("mailto:") else href
                if shown not in "".join(self.parts[-3:]):
                    self.parts.append(f" ({shown})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def text_version(html: str) -> str:
    """The plain-text version of HTML we wrote (a template, a captured copy of our own mail).

    Not for inbound mail: `inbound.mime.htmlscan.readable_text` reads hostile HTML in linear time."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
