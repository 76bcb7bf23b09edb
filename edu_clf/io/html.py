"""Saved web pages → report text, through a real HTML parser (lxml).

A county bureau's page holds one report among navigation bars, sidebars
(相关文章, 热点推荐), share / print bars and a footer (版权所有, ICP备 …). This
module parses the page as a browser would (lxml's HTML parser: an unclosed
`<head>` or `<nav>` does not swallow the body), removes the page furniture as
whole elements, finds the element that holds the report's prose, and renders
it with block elements as line breaks so the segmenter sees paragraphs. The
document title comes from `<h1>` (or `<title>` without the site's name) and
is put on the first line when the content does not already start with it.

Line-level chrome that survives (a footer line inside the content element, a
发布时间 line) is the segmenter's job: configs/segment.toml.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from edu_clf.io import DecodedText, _plausibility, decode_bytes

# Whole elements that are never report text.
DROP_TAGS = {"script", "style", "noscript", "template", "svg", "iframe", "select", "button", "form", "input",
             "textarea", "object", "embed", "canvas", "map", "audio", "video"}
# Page furniture: dropped whole unless (as when left unclosed) it holds the report's prose.
CHROME_TAGS = {"nav", "aside", "footer", "header"}
CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
# class / id words (split at - and _) that name furniture
CHROME_WORDS = {"nav", "navbar", "navigation", "menu", "sidebar", "side", "aside", "footer", "foot", "copyright",
                "related", "relate", "recommend", "hot", "share", "print", "breadcrumb", "crumb", "crumbs", "toolbar",
                "tools", "banner", "header", "topbar", "bdshare", "jiathis", "position", "location", "pager", "fenxiang",
                "xgwz", "rdtj", "dayin", "gotop", "backtop"}
# headings of related-article lists: the heading and its list go
RELATED_HEADING = re.compile(r"^\s*[【\[]?\s*(相关文章|相关阅读|相关链接|相关新闻|相关文档|相关信息|热点推荐|热门推荐|热门文章|热点新闻|"
                             r"推荐阅读|猜你喜欢|最新文章|最新动态|图片新闻|精彩推荐|延伸阅读|友情链接)\s*[】\]]?\s*[:：]?\s*(更多\s*[>》»]*)?\s*$")
BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "section",
              "article", "blockquote", "pre", "dd", "dt", "dl", "hr", "td", "th", "title", "main", "body", "center",
              "tbody", "thead", "figure", "figcaption", "address", "caption", "fieldset", "legend", "details",
              "summary"}
# what content_root may descend into: containers, never a paragraph (its siblings are the report too)
CONTAINER_TAGS = {"div", "section", "article", "main", "table", "tbody", "tr", "td", "center", "font", "form", "span"}
_SENTENCE = re.compile(r"[。；！？]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
PROSE_KEEP = 100          # a furniture element holding this many characters of prose is not furniture
# a site's name after (or before) the title: "…_XX县人民政府网", "- XX教育局", "XX门户网站 | …"
_SITE_PART = re.compile(r"(人民政府|政府|门户|网站|官网|网|教育局|教体局|教育和体育局|教育体育局|教育科技局|教育委员会|教委|"
                        r"首页|频道|栏目|政务公开|信息公开|通知公告|工作动态|教育动态)\s*$")
_TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜—–]+|\s-\s|-{2,}|\s*·\s*|＿)\s*")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{2,30})""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
                    "cp936": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs", "big5-hkscs": "big5hkscs",
                    "x-x-big5": "big5hkscs", "cp950": "cp950", "unicode": "utf-16"}


# ---------------------------------------------------------------- bytes → str


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (`<meta charset>` or http-equiv), as a Python codec."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes, path: str | Path = "<html>") -> DecodedText:
    """A page's text: the declared charset when the bytes agree with it, else what the bytes are."""
    declared = declared_charset(data)
    bom = data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if declared and not bom and not declared.startswith(("utf-16", "utf-32")):
        try:
            text = data.decode(declared)
        except UnicodeDecodeError:
            text = None
        if text is not None and _plausibility(text) >= 0.9:
            return DecodedText(text, declared)
    decoded = decode_bytes(data, path)
    if declared and not bom and _family(declared) != _family(decoded.encoding):
        note = f"the page declares charset {declared} but its bytes are {decoded.encoding}; read as {decoded.encoding}"
        warning = f"{decoded.warning}; {note}" if decoded.warning else note
        return DecodedText(decoded.text, decoded.encoding, warning)
    return decoded


def _family(encoding: str) -> str:
    e = encoding.lower().replace("_", "-")
    if e.startswith(("gb", "cp936")):
        return "gb"
    if e.startswith(("big5", "cp950")):
        return "big5"
    if e.startswith("utf-8") or e == "ascii":
        return "utf-8"
    return e


# ---------------------------------------------------------------- str → tree


def close_open_comments(html: str) -> str:
    """An unterminated `<!--` ends at the next `>` (else it would swallow the rest of the page)."""
    pos = 0
    out: list[str] = []
    while True:
        i = html.find("<!--", pos)
        if i < 0:
            break
        j = html.find("-->", i + 4)
        if j >= 0:
            out.append(html[pos:j + 3])
            pos = j + 3
            continue
        k = html.find(">", i + 4)
        out.append(html[pos:i])
        pos = len(html) if k < 0 else k + 1
    out.append(html[pos:])
    return "".join(out)


def _parse(html: str):
    import lxml.html

    html = close_open_comments(_XML_DECL.sub("", html, count=1))
    if not html.strip():
        return None
    try:
        # huge_tree: libxml2 otherwise stops at 256 nested elements, and the rest of a deep page is lost
        return lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    except Exception:      # lxml refuses a few degenerate documents ("Document is empty")
        return None


# ---------------------------------------------------------------- furniture


class _Stats:
    """Per element, counted once bottom-up (a page of 10,000 elements stays linear): prose characters,
    text characters, link text characters and links. Removing elements leaves ancestors' counts
    high, which only keeps more."""

    def __init__(self, root) -> None:
        self.of: dict = {}
        self._count(root)

    def _count(self, root) -> None:
        # iterative post-order: deep tag soup must not hit the recursion limit
        stack = [(root, False)]
        while stack:
            el, done = stack.pop()
            if not done:
                stack.append((el, True))
                stack.extend((c, False) for c in el if isinstance(c.tag, str))
                continue
            prose, text = _run(el.text)
            links = 1 if el.tag == "a" else 0
            link_text = text if el.tag == "a" else 0
            for c in el:
                if isinstance(c.tag, str):
                    cp, ct, cl, cn = self.of[c]
                    prose, text, links = prose + cp, text + ct, links + cn
                    link_text += ct if el.tag == "a" else cl
                tp, tt = _run(c.tail)
                prose, text = prose + tp, text + tt
                if el.tag == "a":
                    link_text += tt
            self.of[el] = (prose, text, link_text, links)

    def prose(self, el) -> int:
        return self.of[el][0] if el in self.of else prose_chars(el)

    def link_heavy(self, el) -> bool:
        """A block of three or more links and no prose: a menu or a list of other articles."""
        prose, text, link_text, links = self.of.get(el, (1, 0, 0, 0))
        return links >= 3 and prose == 0 and (text == 0 or link_text / text >= 0.6)


def _run(text: str | None) -> tuple[int, int]:
    """(prose characters, characters) of one text run."""
    t = (text or "").strip()
    return (len(t) if len(t) >= 20 and _SENTENCE.search(t) else 0), len(t)


def _texts(el) -> list[str]:
    return [t for t in el.itertext() if t and t.strip()]


def prose_chars(el) -> int:
    """Characters of sentence text under `el`: text runs of 20+ characters holding a full stop."""
    return sum(len(t.strip()) for t in _texts(el) if len(t.strip()) >= 20 and _SENTENCE.search(t))


def _words(el) -> set[str]:
    raw = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return {w for w in re.split(r"[\s\-_]+", raw) if w}


def _is_furniture(el) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in CHROME_TAGS:
        return True
    if (el.get("role") or "").strip().lower() in CHROME_ROLES:
        return True
    return tag not in ("body", "html") and bool(_words(el) & CHROME_WORDS)


def _remove(el) -> None:
    """Remove an element but keep its tail text (which belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _strip_furniture(el, stats: _Stats, keep: int = PROSE_KEEP) -> None:
    """Drop a furniture element whole; one that holds prose (left unclosed, it swallowed the page) loses
    only its own links and text, and its children are judged one by one."""
    if stats.prose(el) < keep:
        _remove(el)
        return
    el.text = None
    for child in list(el):
        if not isinstance(child.tag, str):
            continue
        if stats.prose(child) < keep and (child.tag in ("a", "ul", "ol", "li", "span", "img")
                                         or stats.link_heavy(child) or _is_furniture(child)):
            _remove(child)


def _drop_related_lists(root, stats: _Stats, keep: int = PROSE_KEEP) -> None:
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.tag in ("html", "body") or el not in stats.of:
            continue
        if not 0 < stats.of[el][1] <= 40 or not _attached(el, root):
            continue
        text = "".join(_texts(el))
        if not RELATED_HEADING.match(text):
            continue
        container = el.getparent()
        if container is not None and container.tag not in ("body", "html") and stats.prose(container) < keep:
            _remove(container)
            continue
        for sib in list(el.itersiblings()):
            if isinstance(sib.tag, str) and stats.prose(sib) == 0 and (sib.tag in ("ul", "ol", "table", "dl")
                                                                      or stats.of.get(sib, (0, 0, 0, 0))[3]):
                _remove(sib)
            else:
                break
        _remove(el)


def clean_tree(root) -> None:
    """Remove everything that is not the page's text: scripts and forms, furniture, related lists, menus."""
    from lxml import etree

    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and el.tag.lower() in DROP_TAGS and el.getparent() is not None:
            _remove(el)
    head = root.find("head")
    if head is not None:
        _remove(head)
    stats = _Stats(root)
    # prose enough to be kept: PROSE_KEEP characters, or half the page's prose on a short page
    total = stats.prose(root)
    keep = max(1, min(PROSE_KEEP, total // 2)) if total else PROSE_KEEP
    # furniture, outermost first (a removed element's descendants go with it)
    furniture = [el for el in root.iter() if isinstance(el.tag, str) and _is_furniture(el)]
    for el in furniture:
        if _attached(el, root):
            _strip_furniture(el, stats, keep)
    _drop_related_lists(root, stats, keep)
    for el in [el for el in root.iter() if isinstance(el.tag, str)
               and el.tag in ("ul", "ol", "div", "p", "table", "td", "span", "dl") and stats.link_heavy(el)]:
        if _attached(el, root):
            _remove(el)


def _attached(el, root) -> bool:
    node = el
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


# ---------------------------------------------------------------- content and title


def content_root(body):
    """The element holding the report: walk down while one child holds nearly all the prose."""
    stats = _Stats(body)
    node = body
    total = stats.prose(body)
    if total == 0:
        return body
    while True:
        children = [c for c in node if isinstance(c.tag, str) and c.tag in CONTAINER_TAGS]
        best = max(children, key=stats.prose, default=None)
        if best is None or stats.prose(best) < 0.9 * total:
            return node
        node = best


def render(el) -> str:
    """Text of an element; block elements become line breaks, source line breaks become spaces."""
    parts: list[str] = []
    # iterative (deep tag soup must not hit the recursion limit): ("open", node) / ("close", node)
    stack: list[tuple[bool, object]] = [(False, el)]
    while stack:
        closing, node = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if closing:
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if node is not el and node.tail:
                parts.append(_flat(node.tail))
            continue
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if node.text and tag:
            parts.append(_flat(node.text))
        stack.append((True, node))
        stack.extend((False, child) for child in reversed(node))
    lines = [line.strip() for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)


def _flat(text: str) -> str:
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")


def strip_site_name(title: str) -> str:
    """`2024年工作总结_XX县人民政府网` → `2024年工作总结`; `XX教育局 - 2024年工作总结` too."""
    title = re.sub(r"\s+", " ", title).strip()
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p and p.strip()]
    if len(parts) <= 1:
        return title
    kept = [p for p in parts if not _SITE_PART.search(p) or len(p) > 30]
    return max(kept or parts, key=len)


def page_title(root) -> str:
    """The report's title: the first `<h1>` holding Chinese, else `<title>` without the site's name."""
    for tag in ("h1", "h2"):
        for h in root.iter(tag):
            text = re.sub(r"\s+", " ", "".join(h.itertext())).strip()
            site = len(text) <= 16 and _SITE_PART.search(text)      # a logo's 某某县人民政府, not a title
            if _HAN.search(text) and 4 <= len(text) <= 80 and not RELATED_HEADING.match(text) and not site:
                return text
    t = root.find(".//title")
    if t is not None:
        text = strip_site_name("".join(t.itertext()))
        if _HAN.search(text) and 4 <= len(text) <= 80:
            return text
    return ""


def html_to_text(html: str) -> str:
    """The report text of a page: title line, then the main content's blocks as lines."""
    root = _parse(html)
    if root is None:
        return "\n"
    title = page_title(root)
    clean_tree(root)
    body = root.find("body")
    body = body if body is not None else root
    text = render(content_root(body))
    if not _HAN.search(text) and _HAN.search(_TAG.sub("", html)):
        text = _flat_text(html)    # nesting past libxml2's depth limit left an empty tree: keep the words
    head = [re.sub(r"\s+", "", line) for line in text.split("\n")[:3]]
    squashed = re.sub(r"\s+", "", title)
    if title and not any(line.startswith(squashed) for line in head):
        text = f"{title}\n{text}"
    return text.strip("\n") + "\n"


_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"</?(?:%s)\b[^>]*>" % "|".join(sorted(BLOCK_TAGS)), re.I)
_SKIPPED = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)


def _flat_text(html: str) -> str:
    """A page's text without a tree: skipped elements out, block tags as line breaks, other tags out."""
    import html as html_lib

    text = _BLOCK_TAG.sub("\n", _SKIPPED.sub("", close_open_comments(html)))
    text = html_lib.unescape(_TAG.sub("", re.sub(r"<!--.*?-->", "", text, flags=re.S)))
    return "\n".join(line.strip() for line in _flat(text.replace("\n", "\x00")).split("\x00") if line.strip())


def read_html(data: bytes, path: str | Path = "<html>") -> DecodedText:
    """Bytes of a saved page → its report text (with the encoding used and any warning)."""
    decoded = decode_html(data, path)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedText(html_to_text(text), decoded.encoding, decoded.warning)


__all__ = ["clean_tree", "content_root", "decode_html", "declared_charset", "html_to_text", "page_title",
           "read_html", "strip_site_name"]
