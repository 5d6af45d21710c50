"""Make everything a student controls inert before a page or notebook shows it.

A student controls the text of their answer cells and every output their kernel
produced (any code, theirs or the teacher's, runs in their kernel, and an output's
MIME types, data and metadata are whatever the kernel sent). Rendered as stock
nbconvert renders them, a ``text/html`` output, a ``<script>`` in a written answer,
an ``application/javascript`` output or an image's ``width`` metadata ran script in
the teacher's formgrader and in other readers' feedback pages.

- :func:`inert_html` sanitises an HTML fragment with ``nh3`` (the Python binding of
  the Rust *ammonia* sanitizer): harmless formatting stays (tables, lists, bold,
  code, links to http/https/mailto, images as ``data:`` URIs, MathML's presentation
  elements), anything that can run script, load something or restyle the page (``<script>``, ``<style>``, ``<iframe>``,
  ``<meta>``, SVG, event handlers, ``javascript:`` links, classes and ids) goes.
- :func:`inert_outputs` keeps an output's plain text, PNG and JPEG (checked to be
  base64), LaTeX, sanitised HTML, Markdown (rendered, then sanitised) and SVG (as an
  ``<img>``, where SVG cannot run script); every other MIME type (JavaScript, widget
  views, ...) leaves, with its ``text/plain`` kept.
- :func:`inert_markdown` keeps a written answer exactly as typed when its rendering
  (nbconvert's own Markdown parser) has no raw HTML and no link a sanitizer would
  drop; otherwise the answer becomes its rendering, sanitised, so the teacher still
  reads every word.
- :func:`sanitize_notebook` applies both to a notebook: the outputs of every code
  cell, the source of every written answer (nbgrader ``solution`` markdown cells).
  The teacher's own cells are left as written.

Pages convgrade writes carry :data:`CONTENT_SECURITY_POLICY` (:func:`csp_meta`): no
script at all, inline styles and ``data:`` images only, so whatever a sanitizer
missed still cannot run or call out.
"""
from __future__ import annotations

import base64
import binascii
import copy
import html
import re

import nbformat
import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

#: The policy of every HTML page convgrade generates (feedback pages, the report):
#: nothing loads or runs but inline styles and images embedded as ``data:`` URIs.
#: (``frame-ancestors`` is left out: browsers ignore it in a ``<meta>``.)
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
                           "base-uri 'none'; form-action 'none'")

#: MathML Core's presentation elements, as the feedback page's maths uses them: no
#: ``annotation-xml`` (it can hold HTML), no ``maction``, no ``mglyph`` (it loads an image).
MATHML_TAGS = frozenset({"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot",
                         "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
                         "mprescripts", "none", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
                         "merror", "semantics", "annotation"})
#: Their layout attributes; none names a URL (no ``href``, ``src`` or ``xlink:href``).
MATHML_ATTRIBUTES = frozenset({"display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "mathcolor",
                               "mathbackground", "stretchy", "fence", "separator", "form", "lspace", "rspace",
                               "largeop", "movablelimits", "symmetric", "minsize", "maxsize", "accent",
                               "accentunder", "linethickness", "width", "height", "depth", "voffset",
                               "columnalign", "rowalign", "columnspan", "rowspan", "columnlines", "rowlines",
                               "frame", "encoding"})
#: ammonia's default tags (text formatting, lists, tables, links, images), ``tfoot`` and MathML.
TAGS = frozenset(nh3.ALLOWED_TAGS) | {"tfoot"} | MATHML_TAGS
ATTRIBUTES = {**{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
              **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS},
              "*": {"title", "lang", "dir", "style"}, "table": {"border", "align", "summary"}}
#: CSS properties a ``style`` attribute keeps (pandas and Markdown tables align cells):
#: none of them can position, hide, load or cover anything.
STYLE_PROPERTIES = frozenset({"text-align", "vertical-align", "color", "background-color", "font-weight",
                              "font-style", "text-decoration", "white-space"})
URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})  # data: only for <img src>, see _allowed_attribute
_IMAGE_DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.IGNORECASE)

#: Output MIME types kept (each made inert); nbconvert shows the first it knows of these.
KEPT_MIMETYPES = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/latex",
                  "text/plain")
_BASE64 = re.compile(r"[A-Za-z0-9+/\s]*=*\s*")
_OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")


def inert_html(text):
    """``text`` (an HTML fragment) with everything that could run, load or restyle removed.

    >>> inert_html('<b>3 x 3</b><script>alert(1)</script><img src=x onerror=alert(1)>')
    '<b>3 x 3</b><img src="x">'
    """
    return nh3.clean(str(text), tags=set(TAGS), clean_content_tags={"script", "style"}, attributes=ATTRIBUTES,
                     attribute_filter=_allowed_attribute, url_schemes=set(URL_SCHEMES),
                     filter_style_properties=set(STYLE_PROPERTIES))


def _allowed_attribute(element, attribute, value):
    """ammonia's last word on an attribute: a ``data:`` URI is kept only as an image's
    source, and only for a raster or SVG image (which an ``<img>`` never runs)."""
    if value.strip().lower().startswith("data:") and not (
            element == "img" and attribute == "src" and _IMAGE_DATA_URI.match(value)):
        return None
    return value


def csp_meta():
    """The ``<meta>`` element that puts :data:`CONTENT_SECURITY_POLICY` on a page."""
    return '<meta http-equiv="Content-Security-Policy" content="%s">' % html.escape(CONTENT_SECURITY_POLICY)


# -- Markdown ---------------------------------------------------------------------------------
class _ActiveMarkdownFinder(IPythonRenderer):
    """nbconvert's Markdown renderer, noting what would reach the page unsanitised:
    raw HTML, and link or image URLs that :func:`inert_html` would drop."""

    def __init__(self):
        super().__init__(escape=False)
        self.active = []

    def block_html(self, html_text):
        self.active.append(html_text)
        return super().block_html(html_text)

    def inline_html(self, html_text):
        self.active.append(html_text)
        return super().inline_html(html_text)

    def link(self, text, url, title=None):
        if not _url_survives("a", "href", url):
            self.active.append(url)
        return super().link(text, url, title)

    def image(self, text, url, title=None):
        if not _url_survives("img", "src", url):
            self.active.append(url)
        return super().image(text, url, title)


def _url_survives(tag, attribute, url):
    """Whether the sanitizer keeps ``url`` as ``tag``'s ``attribute`` (it parses URLs as a browser does)."""
    cleaned = inert_html('<%s %s="%s">' % (tag, attribute, html.escape(url, quote=True)))
    return ('%s="' % attribute) in cleaned


def markdown_html(source):
    """``source`` (Markdown with maths) rendered as nbconvert renders a markdown cell."""
    return MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render(source)


def active_markdown(source):
    """The raw HTML fragments and unsafe URLs in Markdown ``source``, in order (empty: inert)."""
    finder = _ActiveMarkdownFinder()
    MarkdownWithMath(renderer=finder).render(source)
    return finder.active


def inert_markdown(source):
    """Markdown ``source`` unchanged when it is inert, else its sanitised rendering.

    The rendering goes back into the cell as one HTML block (``<div>`` with no blank
    line, so no Markdown parser reads any of it as Markdown again), which renders as
    the sanitised page would: every word the student wrote, no active content.
    """
    if not active_markdown(source):
        return source
    cleaned = inert_html(markdown_html(source)).strip("\n")
    # a blank line would end the HTML block; an empty comment keeps <pre> text exact
    cleaned = re.sub(r"\n(?=\n)", "\n<!-- -->", cleaned)
    return "<div>\n%s</div>" % (cleaned + "\n" if cleaned else "")


# -- outputs ----------------------------------------------------------------------------------
def inert_outputs(outputs):
    """A cell's ``outputs`` (nbformat dicts) made inert; see the module docstring.

    Returns a new list; outputs of an unknown type are dropped, the fields nbconvert's
    templates put into attributes (stream names, image sizes) are checked, and output
    metadata keeps image ``width``/``height`` only when they are numbers.
    """
    kept = []
    for output in outputs or []:
        kind = output.get("output_type")
        if kind not in _OUTPUT_TYPES:
            continue
        if kind == "stream":
            kept.append(_node({"output_type": "stream", "text": _text(output.get("text")),
                               "name": output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"}))
        elif kind == "error":
            kept.append(_node({"output_type": "error", "ename": _text(output.get("ename")),
                               "evalue": _text(output.get("evalue")),
                               "traceback": [_text(line) for line in output.get("traceback") or []]}))
        else:
            data, metadata = _inert_data(output.get("data") or {}, output.get("metadata") or {})
            out = {"output_type": kind, "data": data, "metadata": metadata}
            if kind == "execute_result":
                out["execution_count"] = _count(output.get("execution_count"))
            kept.append(_node(out))
    return kept


def _inert_data(data, metadata):
    """An output's ``data`` and ``metadata`` with only :data:`KEPT_MIMETYPES`, each inert."""
    data = {k: _text(v) for k, v in data.items() if k in KEPT_MIMETYPES}
    if "text/markdown" in data:
        rendered = inert_html(markdown_html(data.pop("text/markdown")))
        data.setdefault("text/html", rendered)
    if "image/svg+xml" in data:
        svg = base64.b64encode(data.pop("image/svg+xml").encode("utf-8")).decode("ascii")
        data.setdefault("text/html", '<img alt="figure" src="data:image/svg+xml;base64,%s">' % svg)
    if "text/html" in data:
        data["text/html"] = inert_html(data["text/html"])
    for image in ("image/png", "image/jpeg"):
        if image in data and not _is_base64(data[image]):
            del data[image]
    if not data:
        data["text/plain"] = "[output removed: it held only content that can run code]"
    sizes = {}
    for mimetype in ("image/png", "image/jpeg"):
        own = metadata.get(mimetype) if mimetype in data else None
        if isinstance(own, dict):
            size = {k: own[k] for k in ("width", "height")
                    if isinstance(own.get(k), (int, float)) and not isinstance(own.get(k), bool)}
            if size:
                sizes[mimetype] = size
    return data, sizes


def _is_base64(text):
    if not _BASE64.fullmatch(text):
        return False
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _text(value):
    """Output text as one string (nbformat allows a list of lines)."""
    if isinstance(value, (list, tuple)):
        return "".join(str(v) for v in value)
    return "" if value is None else value if isinstance(value, str) else str(value)


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _node(output):
    return nbformat.from_dict(output)


# -- notebooks --------------------------------------------------------------------------------
def is_written_answer(cell):
    """A markdown cell the student wrote (an nbgrader ``solution`` cell)."""
    return cell.get("cell_type") == "markdown" and bool((cell.get("metadata", {}).get("nbgrader") or {})
                                                         .get("solution"))


def sanitize_notebook(nb):
    """A copy of notebook ``nb`` with every output and every written answer inert.

    Code cells: :func:`inert_outputs`, and an ``execution_count`` that is an integer
    or None. Written answers (:func:`is_written_answer`): :func:`inert_markdown`.
    Every other cell, and the notebook's metadata, is the teacher's and stays.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = inert_outputs(cell.get("outputs"))
            cell["execution_count"] = _count(cell.get("execution_count"))
        elif is_written_answer(cell):
            cell["source"] = inert_markdown(_text(cell.get("source")))
    return nb
