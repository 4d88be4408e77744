"""The graph widget on an exported program, in a real chromium: the torch.cond cluster and the links."""

from __future__ import annotations

import pytest
import torch

from tests.browser.test_widgets_page import mount, renders, wait_rendered
from tests.fixtures import models
from tests.ir import export_models
from toolkit.render.api import code, graph_view
from toolkit.widgets.shells import GraphWidget

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cell_program():
    torch.manual_seed(0)
    return torch.export.export(export_models.CondCell(), models.example_inputs("MyCell3"), strict=False)


def test_the_cond_branches_close_and_open_and_nodes_link_to_both_codes(page, cell_program):
    sel = mount(page, GraphWidget(graph_view(cell_program), code=code(cell_program)))
    wait_rendered(page, sel)
    neg = "n5.b1.n0"
    page.locator(f'{sel} g.node[id="node:{neg}"]').click()
    assert page.evaluate("window.models.w.state.selected_id") == neg
    assert "neg = torch.ops.aten.neg.default(" in page.locator(f"{sel} .tst-code-ts .tst-line.tst-hl").inner_text()
    assert "torch.cond(x.sum() > 0" in page.locator(f"{sel} .tst-code-py .tst-line.tst-hl").inner_text()
    key = "m:dg/if:n5"
    before = renders(page, sel)
    page.locator(f'{sel} g.cluster[id="cluster:{key}"] text').first.click()
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.node[id="node:{neg}"]').count() == 0
    before = renders(page, sel)
    page.locator(f'{sel} g.node[id="node:{key}"]').click()
    wait_rendered(page, sel, before + 1)
    assert page.locator(f'{sel} g.node[id="node:{neg}"]').count() == 1
