// The expansion state of a view, kept in the widget model's traits so Python sees it too:
// depth (null: everything open), expanded and collapsed cluster/fold keys, and the search.

const TRAITS = ["depth", "expanded", "collapsed", "search"];

/** A small store over an anywidget model's traits, shared by every pane that draws it. */
export function modelStore(model) {
  const listeners = new Set();
  const notify = () => listeners.forEach((fn) => fn());
  for (const name of TRAITS) model.on(`change:${name}`, notify);
  return {
    state() {
      return {
        depth: model.get("depth"),
        expanded: model.get("expanded") || [],
        collapsed: model.get("collapsed") || [],
        search: model.get("search") || "",
      };
    },
    update(patch) {
      for (const [key, value] of Object.entries(patch)) model.set(key, value);
      model.save_changes();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    dispose() {
      for (const name of TRAITS) model.off(`change:${name}`, notify);
      listeners.clear();
    },
  };
}

/** `state` with its expanded and collapsed keys edited by `edit(expanded, collapsed)` (two sets). */
function edited(state, edit) {
  const expanded = new Set(state.expanded);
  const collapsed = new Set(state.collapsed);
  edit(expanded, collapsed);
  return { ...state, expanded: [...expanded], collapsed: [...collapsed] };
}

/** The state after opening the box `key` (a collapsed module, a fold or an if/loop box). */
export function opened(state, key, index) {
  return edited(state, (expanded, collapsed) => {
    if (index.foldByKey.has(key)) return void expanded.add(key);
    collapsed.delete(key);
    const c = index.clusters.get(key);
    if (c && c.kind === "module" && state.depth !== null && c.module_depth > state.depth) expanded.add(key);
  });
}

/** The state after closing cluster `key` (or re-folding fold `key`). */
export function closed(state, key, index) {
  return edited(state, (expanded, collapsed) => {
    expanded.delete(key);
    if (!index.foldByKey.has(key)) collapsed.add(key);
  });
}

/** The keys to open so that each of `ids` is drawn as itself (ancestors, folds). */
export function revealing(state, ids, index) {
  let next = state;
  for (const id of ids) {
    const node = index.nodeById.get(id);
    const boxFold = index.boxFold.get(id); // a library check folded with its if/loop blocks
    if (boxFold) next = opened(next, boxFold.key, index);
    let key = node ? node.cluster : id;
    while (key) {
      const fold = index.foldOf.get(key);
      if (fold) next = opened(next, fold.key, index);
      next = opened(next, key, index);
      key = index.clusters.get(key).parent;
    }
  }
  return next;
}
