// The layout worker: Graphviz `dot` compiled to WebAssembly (@hpcc-js/wasm-graphviz, with the
// wasm embedded in the JavaScript, so nothing is fetched). It runs off the main thread so a
// long layout never freezes the notebook page; the page can terminate it when it runs too long.
import { Graphviz } from "@hpcc-js/wasm-graphviz";

let graphviz = null;

self.onmessage = async (event) => {
  const { id, dot } = event.data;
  try {
    if (graphviz === null) graphviz = await Graphviz.load();
    const start = performance.now();
    const svg = graphviz.dot(dot, "svg");
    self.postMessage({ id, svg, ms: performance.now() - start, version: graphviz.version() });
  } catch (error) {
    self.postMessage({ id, error: String((error && error.message) || error) });
  }
};
