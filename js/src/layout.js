// Page-wide layout service: one Web Worker per page, shared by every widget on it.
//
// The worker's source is embedded in this bundle (WORKER_SOURCE is replaced at build time)
// and started from a blob: URL, so it needs no server route and makes no request. Requests
// are answered in order; a request that runs past its time limit terminates the worker (the
// only way to stop a runaway layout) and the next request starts a fresh one.

/* global WORKER_SOURCE */
const CACHE_SIZE = 32;

let worker = null;
let nextId = 1;
const pending = new Map(); // id -> {resolve, reject, timer}
const cache = new Map(); // dot -> svg (most recently used last)

function failAll(error) {
  for (const { reject, timer } of pending.values()) {
    clearTimeout(timer);
    reject(error);
  }
  pending.clear();
}

function stopWorker(error) {
  if (worker !== null) {
    worker.terminate();
    worker = null;
  }
  failAll(error);
}

function startWorker() {
  if (worker !== null) return worker;
  if (typeof Worker !== "function") throw new Error("this browser has no Web Worker support");
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  try {
    worker = new Worker(url, { name: "torchscript-toolkit-layout" });
  } finally {
    URL.revokeObjectURL(url);
  }
  worker.onmessage = (event) => {
    const { id, svg, error, ms } = event.data;
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    if (error) entry.reject(new Error(`Graphviz could not lay out this graph: ${error}`));
    else entry.resolve({ svg, ms });
  };
  worker.onerror = (event) => {
    event.preventDefault();
    stopWorker(new Error(`the layout worker failed: ${event.message || "could not start"}`));
  };
  return worker;
}

/**
 * Lay out DOT as SVG in the shared worker.
 * @returns Promise<{svg, ms, cached}>
 */
export function layout(dot, { timeoutMs = 30000 } = {}) {
  const hit = cache.get(dot);
  if (hit !== undefined) {
    cache.delete(dot);
    cache.set(dot, hit);
    return Promise.resolve({ svg: hit, ms: 0, cached: true });
  }
  return new Promise((resolve, reject) => {
    let w;
    try {
      w = startWorker();
    } catch (error) {
      reject(new Error(`the layout worker could not start: ${error.message || error}`));
      return;
    }
    const id = nextId++;
    const timer = setTimeout(() => {
      stopWorker(new Error(`layout took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
    }, timeoutMs);
    pending.set(id, {
      resolve: (result) => {
        cache.set(dot, result.svg);
        if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
        resolve({ ...result, cached: false });
      },
      reject,
      timer,
    });
    w.postMessage({ id, dot });
  });
}

/** Forget cached layouts (benchmarks use it to time real layouts). */
export function clearLayoutCache() {
  cache.clear();
}

/** Start the worker (and compile the wasm) before the first layout is needed. */
export function warmUp() {
  return layout('digraph { a }', { timeoutMs: 60000 }).catch(() => undefined);
}
