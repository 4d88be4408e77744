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

/** The state after opening the box `key` (a collapsed module, a fold or an if/loop box). */
export function opened(state, key, index) {
  const expanded = new Set(state.expanded);
  const collapsed = new Set(state.collapsed);
  if (index.foldByKey.has(key)) {
    expanded.add(key);
  } else {
    collapsed.delete(key);
    const c = index.clusters.get(key);
    if (c && c.kind === "module" && state.depth !== null && c.module_depth > state.depth) expanded.add(key);
  }
  return { ...state, expanded: [...expanded], collapsed: [...collapsed] };
}

/** The state after closing cluster `key` (or re-folding fold `key`). */
export function closed(state, key, index) {
  const expanded = new Set(state.expanded);
  const collapsed = new Set(state.collapsed);
  if (index.foldByKey.has(key)) {
    expanded.delete(key);
  } else {
    expanded.delete(key);
    collapsed.add(key);
  }
  return { ...state, expanded: [...expanded], collapsed: [...collapsed] };
}

/** Every module and block open, every fold open. */
export function allOpen(state, index) {
  return { ...state, depth: null, expanded: [...index.foldByKey.keys()], collapsed: [] };
}

/** The keys to open so that each of `ids` is drawn as itself (ancestors, folds). */
export function revealing(state, ids, index) {
  let next = state;
  for (const id of ids) {
    const node = index.nodeById.get(id);
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
