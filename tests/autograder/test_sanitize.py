"""autograder.inert.sanitize: what a student controls (outputs, written answers) made inert,
harmless formatting kept. Fast: no kernel, no browser (tests/corpus/test_output_injection.py
grades real submissions and opens the pages in Chromium)."""
from __future__ import annotations

import copy
import re

import nbformat
import pytest

from autograder.inert.sanitize import (CONTENT_SECURITY_POLICY, active_markdown, csp_meta, inert_html, inert_markdown,
                                 inert_outputs, markdown_html, sanitize_notebook)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="


# -- HTML fragments -----------------------------------------------------------------------------
@pytest.mark.parametrize("attack, gone", [
    ("<script>alert(1)</script>", "alert"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ('<a href="javascript:alert(1)">x</a>', "javascript"),
    ('<a href=" jav&#x09;ascript:alert(1)">x</a>', "ascript"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
    ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "data:"),
    ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', "iframe"),
    ("<svg onload=alert(1)><circle r=1 /></svg>", "svg"),
    ("<math><mtext><script>alert(1)</script></mtext></math>", "script"),
    ("<style>body { display: none }</style>", "display"),
    ('<meta http-equiv="refresh" content="0;url=http://evil.invalid">', "refresh"),
    ('<form action="http://evil.invalid"><input type=password></form>', "form"),
    ('<details open ontoggle="alert(1)">x</details>', "ontoggle"),
    ('<p style="position: fixed; top: 0">covers the score</p>', "position"),
    ('<div class="panel-heading" id="toc">x</div>', "panel"),
    ("<!--><img src=x onerror=alert(1)>-->", "onerror"),
    ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "onerror"),
])
def test_inert_html_removes_what_could_run_load_or_restyle(attack, gone):
    assert gone not in inert_html(attack)


def test_inert_html_keeps_formatting_tables_links_and_data_images():
    table = ('<table border="1"><thead><tr style="text-align: right;"><th>a</th></tr></thead>'
             '<tbody><tr><td><b>1</b> <em>x</em> <code>y</code></td></tr></tbody></table>')
    kept = inert_html(table + '<a href="https://example.org">l</a><img alt="f" src="data:image/png;base64,%s">' % PNG)
    for part in ("<table", 'border="1"', 'style="text-align:right"', "<b>1</b>", "<em>x</em>", "<code>y</code>",
                 'href="https://example.org"', 'src="data:image/png;base64,'):
        assert part in kept, part


def test_the_policy_lets_nothing_run_or_load():
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none';")
    assert "script-src" not in CONTENT_SECURITY_POLICY and "img-src data:;" in CONTENT_SECURITY_POLICY
    assert csp_meta().startswith('<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;')


# -- Markdown -----------------------------------------------------------------------------------
HONEST = ("# Title\n\nSome *text*, $x^2$ and `a < b`.\n\n```python\nif x < 0:\n    pass\n```\n\n> a quote\n\n"
          "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n[link](https://example.org) and https://example.org/x")


def test_an_inert_written_answer_stays_exactly_as_typed():
    assert active_markdown(HONEST) == []
    assert inert_markdown(HONEST) == HONEST


@pytest.mark.parametrize("attack", [
    "Answer <script>document.title='x'</script> done",
    "see <img src=x onerror=alert(1)> here",
    "[c](javascript:alert(1))",
    "[c][r]\n\n[r]: JaVaScRiPt:alert(1)",
    "<javascript:alert(1)>",
    "![i](data:text/html;base64,AAA)",
    "<style>h4 { display: none }</style>\nvisible",
    '<details open ontoggle="alert(1)">x</details>',
    '<meta http-equiv="refresh" content="0;url=http://evil.invalid">',
])
def test_an_active_written_answer_renders_inert_and_keeps_its_words(attack):
    rewritten = inert_markdown("Keep these words.\n\n" + attack + "\n\nAnd these.")
    rendered = markdown_html(rewritten)
    for gone in ("<script", "onerror", 'href="javascript:', 'href="JaVaScRiPt:', 'src="data:text', "<style",
                 "ontoggle", "<meta"):
        assert gone not in rendered, (gone, rendered)
    assert "Keep these words." in rendered and "And these." in rendered
    again = markdown_html(inert_markdown(rewritten))  # the feedback's second pass: one more <div>, no more
    assert _words(again) == _words(rendered)


def _words(rendered):
    return re.sub(r"<!-- -->|</?div>", " ", rendered).split()


def test_a_rewritten_answer_keeps_code_blocks_exact():
    source = "<b>x</b>\n\n```\nfirst\n\n\nlast < end\n```"
    rendered = markdown_html(inert_markdown(source))
    assert "first\n<!-- -->\n<!-- -->\nlast &lt; end" in rendered  # the blank lines, as empty comments


# -- outputs ------------------------------------------------------------------------------------
def _display(data, metadata=None):
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})


def test_script_capable_outputs_leave_and_their_text_stays():
    outputs = inert_outputs([
        _display({"application/javascript": "alert(1)", "text/plain": "<Javascript object>"}),
        _display({"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "IntSlider()"}),
        _display({"application/javascript": "alert(1)"}),
    ])
    assert [o["data"] for o in outputs] == [
        {"text/plain": "<Javascript object>"}, {"text/plain": "IntSlider()"},
        {"text/plain": "[output removed: it held only content that can run code]"}]


def test_html_markdown_and_svg_outputs_become_sanitised_html():
    html_out, md_out, svg_out = inert_outputs([
        _display({"text/html": "<b>ok</b><script>alert(1)</script>", "text/plain": "x"},
                 {"text/html": {"isolated": True}}),
        _display({"text/markdown": "**ok** <img src=x onerror=alert(1)>"}),
        _display({"image/svg+xml": "<svg onload='alert(1)'><script>alert(2)</script></svg>"}),
    ])
    assert html_out["data"] == {"text/html": "<b>ok</b>", "text/plain": "x"} and html_out["metadata"] == {}
    assert md_out["data"] == {"text/html": '<p><strong>ok</strong> <img src="x"></p>\n'}
    svg = svg_out["data"]["text/html"]
    assert svg.startswith('<img alt="figure" src="data:image/svg+xml;base64,')
    assert list(svg_out["data"]) == ["text/html"]


def test_images_must_be_base64_and_sizes_numbers():
    good, forged = inert_outputs([
        _display({"image/png": PNG, "text/plain": "fig"},
                 {"image/png": {"width": "1 onload=alert(1)", "height": 20, "unconfined": True}, "filenames": {}}),
        _display({"image/png": 'x" onerror="alert(1)', "text/plain": "fig"}),
    ])
    assert good["data"]["image/png"] == PNG and good["metadata"] == {"image/png": {"height": 20}}
    assert forged["data"] == {"text/plain": "fig"}


def test_fields_templates_put_into_attributes_are_checked():
    stream, result, error = inert_outputs([
        {"output_type": "stream", "name": '"><script>alert(1)</script>', "text": ["a", "b"]},
        {"output_type": "execute_result", "execution_count": "<b>1</b>", "data": {"text/plain": "1"}, "metadata": {}},
        {"output_type": "error", "ename": "E", "evalue": "<v>", "traceback": ["t"]},
        {"output_type": "forged"},
    ])
    assert stream["name"] == "stdout" and stream["text"] == "ab"
    assert result["execution_count"] is None
    assert error["evalue"] == "<v>"  # text, escaped by every template that shows it


# -- notebooks ----------------------------------------------------------------------------------
def test_sanitize_notebook_changes_only_what_the_student_controls():
    teacher_md = nbformat.v4.new_markdown_cell('<div class="alert">Read <b>this</b></div>')
    answer = nbformat.v4.new_markdown_cell("Mine <script>alert(1)</script>",
                                           metadata={"nbgrader": {"solution": True, "grade_id": "a"}})
    code = nbformat.v4.new_code_cell("x", outputs=[_display({"text/html": "<script>alert(1)</script>ok"})])
    nb = nbformat.v4.new_notebook(cells=[teacher_md, answer, code])
    before = copy.deepcopy(nb)
    clean = sanitize_notebook(nb)
    assert nb == before  # a copy: the input (as the submitted file) is never changed
    assert clean.cells[0].source == teacher_md.source
    assert "<script" not in markdown_html(clean.cells[1].source) and "Mine" in clean.cells[1].source
    assert clean.cells[2].outputs[0]["data"]["text/html"] == "ok"
    nbformat.validate(clean)
