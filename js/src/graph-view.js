// The interactive view of one graph: toolbar, graph pane, details, TorchScript and Python
// code, with the selection kept in the model's `selected_id` trait (Python reads it back).

import { CodePane } from "./code-pane.js";
import { DetailsPane } from "./details.js";
import { h, setChildren } from "./dom.js";
import { GraphPane, viewButtons } from "./graph-pane.js";
import { modelStore } from "./state.js";
import { makeToolbar } from "./toolbar.js";

/** Render a GraphWidget model into `el`; returns the cleanup function. */
export function renderGraph({ model, el, fallback }) {
  performance.mark("tst:render");
  const payload = model.get("_data");
  const store = modelStore(model);
  const message = h("div", { class: "tst-message", role: "status" });
  const say = (text) => {
    message.textContent = text || "";
  };

  const pane = new GraphPane({ payload, store });
  const details = new DetailsPane({
    pane,
    actions: { open: (key) => pane.open(key), close: (key) => pane.close(key) },
  });
  const code = new CodePane({
    payload,
    onLine: (ids, where) => {
      pane.link(ids);
      say(ids.length ? `${where}: ${ids.length} node${ids.length === 1 ? "" : "s"} highlighted` : `${where}: no node`);
      root.dataset.linked = ids.join(" ");
    },
  });
  const toolbar = makeToolbar({
    store,
    indexes: [pane.index],
    limit: pane.limit,
    say,
    onReveal: () => pane.revealFirstMatch({ afterNextRender: true }),
  });

  const select = (id, { fromModel = false } = {}) => {
    pane.select(id);
    root.dataset.selected = id || "";
    if (!id) {
      details.clear();
      code.clear();
      return;
    }
    if (pane.index.foldByKey.has(id) || pane.index.clusters.has(id)) details.showBox(id);
    else details.show(id);
    const found = code.showNode(id);
    if (!fromModel && !found.code && payload.details[id] && !id.startsWith("in:") && id !== "out") {
      say("This node has no line of its own in the TorchScript code (it may be folded into a library call).");
    }
  };

  pane.callbacks = {
    onSelect: (id) => {
      say("");
      model.set("selected_id", id);
      model.save_changes();
      select(id);
    },
    onStatus: say,
    onMatches: (summary, error) => toolbar.setMatches([summary], [...pane.matches.nodes, ...pane.matches.clusters], error),
    onFallback: (reason, state) => fallback(reason, state, ""),
    onRendered: () => {
      if (pane.selected) pane.select(pane.selected, { reveal: false });
    },
  };
  const onSelected = () => select(model.get("selected_id"), { fromModel: true });
  model.on("change:selected_id", onSelected);

  const notice = payload.notice ? h("div", { class: "tst-notice" }, payload.notice) : null;
  const root = h(
    "div",
    { class: "tst-root tst-graph-widget" },
    h("div", { class: "tst-header" }, h("b", {}, payload.name), ` · ${payload.origin}`, viewButtons(pane, payload.name)),
    notice,
    toolbar.el,
    message,
    h("div", { class: "tst-body" }, h("div", { class: "tst-main" }, pane.el), h("div", { class: "tst-side" }, details.el, code.el)),
  );
  setChildren(el, root);
  performance.mark("tst:dom-built");
  pane.refresh().then(() => {
    if (model.get("selected_id")) onSelected();
  });
  return () => {
    model.off("change:selected_id", onSelected);
    pane.dispose();
    store.dispose();
  };
}
