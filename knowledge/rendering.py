"""Markdown to safe HTML, cached by the content's hash.

Articles are stored as written; what reaches a browser is rendered by python-markdown and
then cleaned by nh3 (the ammonia sanitizer): an allowlist of tags and attributes, no
scripts or event handlers, only http(s) and mailto links, rel="nofollow noopener" on links,
and every id prefixed ("kb-"), the in-page links to them too.
"""

from __future__ import annotations

import hashlib
import html as html_entities

import markdown
import nh3
from django.core.cache import cache
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "*": {"id"},  # prefixed with ID_PREFIX (_prefix_ids)
}
URL_SCHEMES = {"http", "https", "mailto"}
_VERSION = "2"  # bump when the rendering rules change, so cached HTML is rebuilt
# Every id an article brings (headings' anchors, footnotes) is prefixed, and the in-page links
# to them with it: an article cannot name an element as the page's own ("csrf", "main") or
# clobber a global the page's scripts read (DOM clobbering).
ID_PREFIX = "kb-"


def _prefix_ids(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if value.startswith(ID_PREFIX) else ID_PREFIX + value
    if tag == "a" and attribute == "href" and value.startswith("#") and not value.startswith("#" + ID_PREFIX):
        return "#" + ID_PREFIX + value[1:]
    return value


def _render(text: str) -> str:
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        attribute_filter=_prefix_ids,
    )


def render_markdown(text: str) -> SafeString:
    key = f"kb:html:{_VERSION}:{hashlib.sha256(text.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = _render(text)
        cache.set(key, html, timeout=60 * 60 * 24 * 7)
    return mark_safe(html)  # noqa: S308  # nosec B308 B703  # sanitized by nh3 just above


def plain_text(text: str) -> str:
    """The article as words, for snippets and summaries."""
    return " ".join(html_entities.unescape(strip_tags(render_markdown(text))).split())
