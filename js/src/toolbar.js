// The controls above a graph: expansion depth (levels named by what they open, with the box
// count Python computed for each), expand/collapse all, the library-internals toggle, the
// search box, and any view controls the caller adds. They edit the shared store, so in a
// comparison one toolbar drives both sides.

import { countDrawn } from "./collapse.js";
import { button, h } from "./dom.js";
import { revealing } from "./state.js";

const SEARCH_DELAY_MS = 150;

/**
 * The menu's levels: the payload's `depth_levels` (toolkit/widgets/payload.py), or, from an
 * older payload, one level per module depth plus "all".
 */
function depthLevels(payloads, indexes) {
  const named = payloads.map((p) => p.depth_levels).filter((levels) => Array.isArray(levels) && levels.length);
  if (named.length) return named.reduce((a, b) => (b.length > a.length ? b : a));
  const maxDepth = Math.max(0, ...indexes.flatMap((ix) => ix.drawing.clusters.filter((c) => c.kind === "module").map((c) => c.module_depth)));
  const levels = [];
  for (let d = 0; d <= maxDepth; d += 1) levels.push({ depth: d, expanded_all: false, name: String(d) });
  levels.push({ depth: null, expanded_all: false, name: "all" });
  return levels;
}

const sameKeys = (a, b) => a.length === b.length && a.every((k) => b.includes(k));

/**
 * @param store     the shared state store
 * @param indexes   the indexed views this toolbar drives (one, or two in a comparison)
 * @param payloads  their payloads (depth levels, library folds)
 * @param limit     the drawing limit
 * @param say       show a message to the user
 * @param onReveal  called when Enter asked to show the matches (panes scroll to the first)
 * @param controls  more elements for the toolbar (view controls)
 */
export function makeToolbar({ store, indexes, payloads = [], limit, say, onReveal = () => {}, controls = [] }) {
  const levels = depthLevels(payloads, indexes);
  const libraryKeys = [...new Set(payloads.flatMap((p) => p.library_folds || []))];
  const repeatKeys = [...new Set(indexes.flatMap((ix) => [...ix.foldByKey.keys()]))].filter((k) => !libraryKeys.includes(k));
  const single = payloads.length === 1;

  const internalsOn = (state = store.state()) => libraryKeys.length > 0 && libraryKeys.every((k) => state.expanded.includes(k));
  /** The expanded keys a level opens: every fold for "every node", else the internals as they are. */
  const levelExpanded = (level, internals) => [...(internals || level.expanded_all ? libraryKeys : []), ...(level.expanded_all ? repeatKeys : [])];
  const levelState = (level, internals) => ({
    ...store.state(),
    depth: level.depth,
    expanded: levelExpanded(level, internals),
    collapsed: [],
  });
  /** The level the state is at, or -1 (the student opened or closed boxes by hand). */
  const currentLevel = (state) =>
    levels.findIndex(
      (level) => level.depth === state.depth && !state.collapsed.length && sameKeys(state.expanded, levelExpanded(level, internalsOn(state))),
    );

  const depth = h("select", { class: "tst-depth", title: "how far to open the modules; deeper ones are one box each" });
  const custom = h("option", { value: "custom", disabled: true, hidden: true }, "as opened by hand");
  const options = levels.map((level, i) => h("option", { value: String(i) }, level.name));
  depth.append(...options, custom);
  const labelLevels = () => {
    if (!single) return; // a comparison has two counts per level; the names say enough
    const internals = internalsOn();
    levels.forEach((level, i) => {
      const boxes = internals ? level.boxes_internals : level.boxes;
      options[i].textContent = typeof boxes === "number" ? `${level.name} (${boxes.toLocaleString()} boxes)` : level.name;
    });
  };
  depth.addEventListener("change", () => {
    const level = levels[Number(depth.value)];
    if (!level) return;
    const next = levelState(level, internalsOn());
    if (!fitsAll(next)) {
      sync();
      return;
    }
    store.update({ depth: next.depth, expanded: next.expanded, collapsed: [] });
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

  const expandAll = button("expand all", "open every module, block, folded repeat and library internals", () => {
    const next = levelState({ depth: null, expanded_all: true }, internalsOn());
    if (fitsAll(next)) store.update({ depth: null, expanded: next.expanded, collapsed: [] });
  }, "tst-expand-all");
  const collapseAll = button("collapse all", "show only the top-level modules", () => {
    store.update({ depth: 0, expanded: internalsOn() ? [...libraryKeys] : [], collapsed: [] });
  }, "tst-collapse-all");

  // Library control flow (torch's own if/loop code) is folded into one box per place; this
  // opens or folds all of it at once, in the page.
  const internals = h("input", { type: "checkbox", class: "tst-internals-box" });
  const internalsLabel = h(
    "label",
    {
      class: "tst-group tst-internals",
      title: "show the control flow inside library code (torch, torchvision, …), folded by default",
      hidden: libraryKeys.length === 0,
    },
    internals,
    "library internals",
  );
  internals.addEventListener("change", () => {
    const state = store.state();
    const rest = state.expanded.filter((k) => !libraryKeys.includes(k));
    const expanded = internals.checked ? [...rest, ...libraryKeys] : rest;
    if (!fitsAll({ ...state, expanded })) {
      sync();
      return;
    }
    store.update({ expanded });
  });

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
    internals.checked = internalsOn(s);
    labelLevels();
    const at = currentLevel(s);
    depth.value = at >= 0 ? String(at) : "custom";
    if (document.activeElement !== search && search.value !== s.search) search.value = s.search;
  };
  store.subscribe(sync);
  sync();

  const el = h(
    "div",
    { class: "tst-toolbar" },
    h("label", { class: "tst-group" }, "open ", depth),
    h("span", { class: "tst-group" }, expandAll, collapseAll),
    internalsLabel,
    controls.length ? h("span", { class: "tst-group" }, controls) : null,
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
