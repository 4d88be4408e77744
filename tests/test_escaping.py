"""Hostile names and options never turn into markup, in any output format.

Names come from users' models (module names, ``ParameterDict`` keys, class names), so each one
here is drawn in every format the toolkit writes: DOT, SVG, code HTML, compare HTML, the trace
report, the scripting report and the widget payload. Every format must be free of ``<script``,
``on*=`` attributes and ``javascript:`` URLs, and every SVG must parse as XML (a saved notebook
shows nothing when it does not). Options go through the same checks, and options that would carry
markup are refused.
"""

from __future__ import annotations

import html.parser
import json
import re
import xml.etree.ElementTree as ET

import pytest
import torch
from torch import nn

import toolkit
from toolkit.errors import ViewOptionError
from toolkit.render.api import graph_view
from toolkit.render.dot import DotStatements, assemble_dot
from toolkit.render.options import DotOptions
from toolkit.render.svg import dot_to_svg, has_dot
from toolkit.widgets.payload import graph_payload

HOSTILE = {
    "quotes": "it's \"quoted\"",
    "script": "<script>alert(1)</script>",
    "handler": '" onmouseover="x',
    "js_url": "javascript:alert(1)",
    "amp_empty": "&;",
    "amp_name": "&x;",
    "nbsp": "&nbsp;",
    "nul_ref": "&#0;",
    "big_ref": "&#x110000;",
    "cdata_end": "]]>",
    "newlines": "line1\nline2\r\n<img src=x onerror=alert(1)>",
    "backslash": "\\N\\G\\l",
    "long": ('x"<&' * 2560),  # 10 kB
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "url", "xlink:href", "{http://www.w3.org/1999/xlink}href"}
needs_dot = pytest.mark.skipif(not has_dot(), reason="the Graphviz `dot` binary is not installed")


def _double_plus_one(self, x):
    return x * 2 + 1


def hostile_class(name: str) -> type:
    """A module class whose ``__name__`` is ``name`` (class names reach labels and scopes)."""
    return type(name, (nn.Module,), {"forward": _double_plus_one})


class Host(nn.Module):
    """A submodule named ``name`` of a class named ``name``, and a parameter keyed ``name``."""

    def __init__(self, name: str):
        super().__init__()
        self.blocks = nn.ModuleDict({name: hostile_class(name)()})
        self.params = nn.ParameterDict({name: nn.Parameter(torch.ones(3))})

    def forward(self, x):
        for m in self.blocks.values():
            x = m(x)
        for p in self.params.values():
            x = x + p
        return x


class ScriptableHost(nn.Module):
    """The same hostile submodule, in a model TorchScript can script (for the scripted side)."""

    def __init__(self, name: str):
        super().__init__()
        self.blocks = nn.ModuleDict({name: hostile_class(name)()})

    def forward(self, x):
        for m in self.blocks.values():
            x = m(x)
        return torch.relu(x)


class _Tags(html.parser.HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def assert_attributes_safe(where: str, tag: str, attributes) -> None:
    assert tag.lower().rsplit("}", 1)[-1] != "script", f"{where}: a <script> element"
    for key, value in attributes:
        key = key.lower()
        assert not key.rsplit("}", 1)[-1].startswith("on"), f"{where}: an event handler attribute {key}={value!r}"
        if key in URL_ATTRIBUTES:
            assert not (value or "").strip().lower().startswith("javascript:"), f"{where}: a javascript: URL in {key}"


def assert_safe_html(where: str, markup: str) -> None:
    """No script element, event handler or javascript: URL; every inline SVG parses as XML."""
    assert "<script" not in markup.lower(), f"{where}: `<script` in the output"
    tags = _Tags()
    tags.feed(markup)
    tags.close()
    for tag, attributes in tags.tags:
        assert_attributes_safe(where, tag, attributes)
    for svg in re.findall(r"<svg\b.*?</svg>", markup, flags=re.S):
        assert_safe_svg(where, svg)


def assert_safe_svg(where: str, svg: str) -> ET.Element:
    assert "<script" not in svg.lower(), f"{where}: `<script` in the SVG"
    root = ET.fromstring(svg)  # the SVG as inlined in a notebook: no prologue, no DTD to excuse an entity
    for element in root.iter():
        assert_attributes_safe(where, element.tag, element.attrib.items())
    return root


_DOT_STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def assert_safe_dot(where: str, dot: str) -> None:
    """Outside its quoted strings, the DOT holds only our own attribute names and values.

    A name may sit inside a quoted DOT string as it is (``<`` included: Graphviz writes it as
    ``&lt;`` in the SVG, which the SVG checks verify), but never with a bare ``&``.
    """
    bare = _DOT_STRING.sub('""', dot)
    for word in ("url", "href", "javascript", "onmouseover", "onerror", "<", "&"):
        assert word not in bare.lower().replace("->", ""), f"{where}: {word!r} outside a quoted DOT string"
    for quoted in _DOT_STRING.findall(dot):
        assert not re.search(r"&(?!amp;)", quoted), f"{where}: a bare & Graphviz would read as an entity: {quoted[:80]}"


def svg_strings(root: ET.Element) -> str:
    return "\n".join([*(t for e in root.iter() for t in (e.text, e.tail) if t), *(v for e in root.iter() for v in e.attrib.values())])


@pytest.fixture(scope="module")
def captured():
    torch.manual_seed(0)
    built = {}
    for key, name in HOSTILE.items():
        model = Host(name).eval()
        built[key] = (name, model, toolkit.trace(model, (torch.ones(3),)))
    return built


OPTIONS = [
    {},
    {"depth": 0},
    {"depth": 1, "rankdir": "LR", "edge_labels": False},
    {"inlined": False},
    {"marks": {"n0": ["lost", "highlight"]}},
]


@needs_dot
@pytest.mark.parametrize("key", list(HOSTILE))
def test_dot_and_svg_of_every_view_are_safe(captured, key):
    name, _, traced = captured[key]
    keys = {c.key for c in graph_view(traced, inlined=False).drawing.clusters}
    assert any(name in k for k in keys), f"{key}: no cluster key carries the submodule's name: {keys}"
    opened = [{"inlined": False, "depth": 0, "expanded": keys}, {"inlined": False, "collapsed": keys}]
    for options in OPTIONS + opened:
        view = graph_view(traced, **options)
        where = f"{key} with {options}"
        assert_safe_dot(where, view.dot)
        root = assert_safe_svg(where, dot_to_svg(view.dot))
        if options.get("depth") is None and key not in ("newlines", "long", "backslash"):
            assert name in svg_strings(root), f"{where}: the name is not shown as itself"


@needs_dot
@pytest.mark.parametrize("key", list(HOSTILE))
def test_code_compare_and_report_html_are_safe(captured, key):
    name, model, traced = captured[key]
    assert_safe_html(f"{key} code", toolkit.code(traced)._repr_mimebundle_()["text/html"])
    for compared in (model, ScriptableHost(name).eval()):
        view = toolkit.compare(compared, (torch.ones(3),))
        assert_safe_html(f"{key} compare {type(compared).__name__}", view._repr_mimebundle_()["text/html"])
    report = toolkit.check_trace(model, (torch.ones(3),))
    assert_safe_html(f"{key} trace report", report._repr_mimebundle_()["text/html"])
    script_report = toolkit.check_script(model)
    assert_safe_html(f"{key} script report", script_report._repr_mimebundle_()["text/html"])


@needs_dot
@pytest.mark.parametrize("key", list(HOSTILE))
def test_widget_payload_is_safe_and_draws_the_static_dot(captured, key):
    _, _, traced = captured[key]
    for options in OPTIONS:
        view = graph_view(traced, **options)
        payload = json.loads(json.dumps(graph_payload(view)))
        table = payload["dot"]
        statements = DotStatements(
            head=tuple(table["head"]),
            boxes=table["boxes"],
            closed={k: tuple(v) for k, v in table["closed"].items()},
            clusters={k: tuple(v) for k, v in table["clusters"].items()},
            refs=table["refs"],
            edges=tuple(tuple(e) for e in table["edges"]),
            more=tuple(table["more"]),
        )
        assert assemble_dot(statements, view.collapse).dot == view.dot
        where = f"{key} payload with {options}"
        # The statements are the markup the browser lays out; the table's keys are only lookup keys.
        written = [*statements.head, *statements.boxes.values(), *statements.refs.values(), *statements.more,
                   *(s for pair in statements.closed.values() for s in pair[1:]),
                   *(s for pair in statements.clusters.values() for s in pair), *(e[2] for e in statements.edges)]
        for statement in written:
            assert_safe_dot(where, statement)
        assert_safe_dot(where, view.dot)
        assert_safe_svg(where, dot_to_svg(view.dot))


def test_options_that_would_carry_markup_are_refused(captured):
    _, _, traced = captured["script"]
    with pytest.raises(ViewOptionError, match=r"option rankdir='LR URL=.*' is not 'TB' or 'LR'\. Fix: pass rankdir='TB'"):
        toolkit.to_dot(traced, rankdir='LR URL="javascript:alert(1)"')
    with pytest.raises(ViewOptionError, match=r"option rankdir='TB\]; x \[URL=.*Fix: pass rankdir="):
        DotOptions(rankdir='TB]; x [URL="javascript:alert(1)"')
    hostile_mark = 'lost" URL="javascript:alert(1)'
    with pytest.raises(ViewOptionError, match=r"option marks\['n0'\] holds .* not a class name .* Fix: pass class names"):
        toolkit.to_dot(traced, marks={"n0": [hostile_mark]})
    with pytest.raises(ViewOptionError, match=r"marks\['n0'\] holds '<script>', which is not a class name.* Fix: pass class names"):
        toolkit.show(traced, marks={"n0": ["<script>"]})
    with pytest.raises(ViewOptionError, match=r"marks\['n0'\] holds 'on mouseover', which is not a class name.* Fix:"):
        toolkit.to_dot(traced, marks={"n0": ["on mouseover"]})


def test_code_html_escapes_line_marks():
    from toolkit.render.code import code_html

    markup = code_html("x = 1\n", marks={1: ['lost" onmouseover="alert(1)']})
    assert_safe_html("code marks", markup)
    assert 'mark-lost&quot; onmouseover=&quot;alert(1)' in markup
