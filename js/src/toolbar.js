// The controls above a graph: expansion depth, expand/collapse all, and the search box.
// They edit the shared store, so in a comparison one toolbar drives both sides.

import { countDrawn } from "./collapse.js";
import { button, h } from "./dom.js";
import { allOpen, revealing } from "./state.js";

const SEARCH_DELAY_MS = 150;

/**
 * @param store    the shared state store
 * @param indexes  the indexed views this toolbar drives (one, or two in a comparison)
 * @param limit    the drawing limit
 * @param say      show a message to the user
 * @param onReveal called when Enter asked to show the matches (panes scroll to the first)
 */
export function makeToolbar({ store, indexes, limit, say, onReveal = () => {} }) {
  const maxDepth = Math.max(0, ...indexes.flatMap((ix) => ix.drawing.clusters.filter((c) => c.kind === "module").map((c) => c.module_depth)));
  const depth = h("select", { class: "tst-depth", title: "draw modules down to this depth; deeper ones are one box each" });
  depth.append(h("option", { value: "" }, "all"));
  for (let d = 0; d <= maxDepth; d += 1) depth.append(h("option", { value: String(d) }, String(d)));
  depth.addEventListener("change", () => {
    const value = depth.value === "" ? null : Number(depth.value);
    const next = { ...store.state(), depth: value, expanded: [], collapsed: [] };
    if (!fitsAll(next)) {
      sync();
      return;
    }
    store.update({ depth: value, expanded: [], collapsed: [] });
  });

  const fitsAll = (state) => {
    for (const ix of indexes) {
      const count = countDrawn(ix, state);
      if (count > limit) {
        say(
          `That would draw ${count.toLocaleString()} boxes, more than this view lays out at once ` +
            `(${limit.toLocaleString()}). Open modules one at a time, or search.`,
        );
        return false;
      }
    }
    return true;
  };

  const expandAll = button("expand all", "open every module, block and folded repeat", () => {
    let next = store.state();
    for (const ix of indexes) next = allOpen(next, ix);
    next = { ...next, expanded: [...new Set(indexes.flatMap((ix) => [...ix.foldByKey.keys()]))] };
    if (fitsAll(next)) store.update({ depth: null, expanded: next.expanded, collapsed: [] });
  }, "tst-expand-all");
  const collapseAll = button("collapse all", "show only the top-level modules", () => {
    store.update({ depth: 0, expanded: [], collapsed: [] });
  }, "tst-collapse-all");

  const search = h("input", {
    class: "tst-search",
    type: "search",
    placeholder: "search kind, name, scope (regex); Enter opens matches",
    spellcheck: "false",
  });
  const count = h("span", { class: "tst-search-count" });
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => store.update({ search: search.value }), SEARCH_DELAY_MS);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    clearTimeout(timer);
    store.update({ search: search.value });
    revealMatches();
  });

  let matchIds = [];
  const revealMatches = () => {
    let next = store.state();
    for (const ix of indexes) next = revealing(next, matchIds.filter((id) => ix.nodeById.has(id) || ix.clusters.has(id)), ix);
    if (!fitsAll(next)) return;
    onReveal();
    store.update({ expanded: next.expanded, collapsed: next.collapsed });
  };

  const sync = () => {
    const s = store.state();
    depth.value = s.depth === null || s.depth === undefined ? "" : String(s.depth);
    if (document.activeElement !== search && search.value !== s.search) search.value = s.search;
  };
  store.subscribe(sync);
  sync();

  const el = h(
    "div",
    { class: "tst-toolbar" },
    h("label", { class: "tst-group" }, "depth ", depth),
    h("span", { class: "tst-group" }, expandAll, collapseAll),
    h("span", { class: "tst-group tst-grow" }, search, count),
  );
  return {
    el,
    /** Show the match count (summed over panes) and remember the ids for Enter. */
    setMatches(summaries, ids, error) {
      matchIds = ids;
      if (error) {
        count.textContent = error;
        count.className = "tst-search-count tst-error";
        return;
      }
      count.className = "tst-search-count";
      if (!store.state().search) {
        count.textContent = "";
        return;
      }
      const total = summaries.reduce((a, s) => a + s.count, 0);
      const hidden = summaries.reduce((a, s) => a + s.hidden, 0);
      count.textContent = `${total} match${total === 1 ? "" : "es"}` + (hidden ? ` (${hidden} inside closed boxes)` : "");
    },
  };
}
