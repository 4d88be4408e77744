// The details panel: what a clicked node is (kind, values with types and shapes, scope,
// attributes, source line), or what a box holds, with buttons to open or close modules.

import { button, h, setChildren } from "./dom.js";
import { countsAsBox } from "./collapse.js";

function table(head, rows) {
  if (!rows.length) return null;
  return h(
    "table",
    { class: "tst-table" },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
  );
}

function valueRows(rows, withArgs) {
  return rows.map((r) => {
    const [name, type, dtype, shape, arg, constant] = r;
    const cells = [];
    if (withArgs) cells.push(arg || "");
    cells.push(constant ? `${name} = ${constant}` : `%${name}`, type, dtype, shape);
    return cells;
  });
}

/** The ids among `ids` that are boxes a student reads: a join point shares its if's code line, lit but not counted. */
export function readableIds(index, ids) {
  return ids.filter((id) => countsAsBox(index.nodeById.get(id) ?? {}));
}

export class DetailsPane {
  /**
   * @param pane     the GraphPane whose items are described (for box sizes and state)
   * @param actions  {open(key), close(key)}
   */
  constructor({ pane, actions }) {
    this.pane = pane;
    this.actions = actions;
    this.el = h("div", { class: "tst-details" }, h("div", { class: "tst-empty" }, "Click a node for its details."));
  }

  clear(text = "Click a node for its details.") {
    setChildren(this.el, h("div", { class: "tst-empty" }, text));
  }

  /** Describe view item `id`; `extra` is appended (e.g. the counterpart in a comparison). */
  show(id, extra = null) {
    const payload = this.pane.payload;
    const d = payload.details[id];
    if (!d) {
      this.clear();
      return;
    }
    const parts = [h("div", { class: "tst-details-title" }, h("b", {}, d.op), d.kind ? ` · ${d.kind}` : "", ` · ${id}`)];
    if (d.scope !== undefined) parts.push(this._scope(id));
    if (d.source) parts.push(h("div", { class: "tst-kv" }, "source: ", h("code", {}, `${d.source[0]}:${d.source[1]}`), d.source[2] ? `  ${d.source[2]}` : ""));
    const inputs = table(["arg", "value", "type", "dtype", "shape"], valueRows(d.inputs || [], true));
    if (inputs) parts.push(h("div", { class: "tst-sub" }, "inputs"), inputs);
    const outputs = table(["value", "type", "dtype", "shape"], valueRows(d.outputs || [], false));
    if (outputs) parts.push(h("div", { class: "tst-sub" }, "outputs"), outputs);
    const params = table(["parameter", "dtype", "shape"], d.parameters || []);
    if (params) parts.push(h("div", { class: "tst-sub" }, "parameters"), params);
    const attrs = table(["attribute", "value"], d.attributes || []);
    if (attrs) parts.push(h("div", { class: "tst-sub" }, "attributes"), attrs);
    if (d.blocks) {
      parts.push(
        h("div", { class: "tst-sub" }, "blocks"),
        table(["block", "nodes", "params", "returns"], d.blocks.map((b) => [b.id, String(b.nodes), b.inputs.join(", "), b.outputs.join(", ")])),
      );
    }
    if (extra) parts.push(extra);
    setChildren(this.el, parts);
  }

  /** The module chain of a node, each with a button to collapse it, and fold controls. */
  _scope(id) {
    const index = this.pane.index;
    const node = index.nodeById.get(id);
    const chain = [];
    let key = node ? node.cluster : "";
    while (key) {
      const c = index.clusters.get(key);
      if (c.kind === "module") chain.unshift(c);
      key = c.parent;
    }
    const row = h("div", { class: "tst-kv" }, "scope: ");
    if (!chain.length) row.append(h("code", {}, "(top level)"));
    chain.forEach((c, i) => {
      if (i) row.append(" › ");
      row.append(button(c.label, `collapse ${c.label}`, () => this.actions.close(c.key), "tst-link"));
      const fold = index.foldOf.get(c.key);
      if (fold) row.append(button(`fold ×${fold.members.length}`, `fold ${fold.label} again`, () => this.actions.close(fold.key), "tst-link"));
    });
    return row;
  }

  /**
   * Describe what a clicked code line became: the node itself when it is one, else each node
   * with a button that selects it (`pick(id)`).
   */
  showLine(where, allIds, pick) {
    const ids = readableIds(this.pane.index, allIds);
    if (!ids.length) {
      this.clear(`${where}: no node of this graph comes from this line.`);
      return;
    }
    if (ids.length === 1) {
      this.show(ids[0], h("div", { class: "tst-kv tst-from-line" }, `from ${where}`));
      return;
    }
    const details = this.pane.payload.details;
    setChildren(
      this.el,
      h("div", { class: "tst-details-title" }, h("b", {}, where), ` · ${ids.length} nodes`),
      h(
        "ul",
        { class: "tst-line-nodes" },
        ids.map((id) => h("li", {}, button((details[id] && details[id].op) || id, "select this node", () => pick(id), "tst-link"))),
      ),
    );
  }

  /** Describe a box (collapsed module, if/loop box or fold). */
  showBox(key) {
    const index = this.pane.index;
    const fold = index.foldByKey.get(key);
    const count = this.pane.payload.drawing.nodes.filter((n) => this.pane.rep.get(n.id) === key && countsAsBox(n)).length;
    const what = fold
      ? `${fold.members.length} identical ${fold.type || "blocks"}: ${fold.label}`
      : `${index.clusters.get(key).label} (${index.clusters.get(key).kind}, collapsed)`;
    setChildren(
      this.el,
      h("div", { class: "tst-details-title" }, h("b", {}, what)),
      h("div", { class: "tst-kv" }, `${count} node${count === 1 ? "" : "s"} inside. `, button("open", "open this box", () => this.actions.open(key), "tst-link")),
    );
  }
}
