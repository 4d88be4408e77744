// Full screen for one widget: the Fullscreen API on the widget's root, so a large graph gets
// the whole screen instead of a notebook output's 600 × 450 pixels. Where the page may not go
// full screen (an iframe without permission, a browser without the API) the widget pops out
// over the window instead. The same button, or Esc, brings it back.

import { button } from "./dom.js";

/**
 * The full-screen button of a widget; `attach(root)` names what goes full screen (the root is
 * built after its header, which holds the button).
 * @returns {el (the button), attach(root), dispose()}
 */
export function fullscreenToggle() {
  let root = null;
  const isFull = () => root !== null && (document.fullscreenElement === root || root.classList.contains("tst-popped"));
  const sync = () => {
    const full = isFull();
    el.textContent = full ? "exit full screen" : "full screen";
    el.title = full ? "back to the notebook (or Esc)" : "show this graph on the whole screen (Esc to leave)";
    if (!root) return;
    root.classList.toggle("tst-full", full);
    root.dataset.fullscreen = full ? (document.fullscreenElement === root ? "screen" : "window") : "";
  };
  const leave = () => {
    if (document.fullscreenElement === root) {
      document.exitFullscreen().catch(() => undefined);
    } else {
      root.classList.remove("tst-popped");
      sync();
    }
  };
  const enter = async () => {
    if (typeof root.requestFullscreen === "function" && document.fullscreenEnabled !== false) {
      try {
        await root.requestFullscreen();
        return;
      } catch {
        // not allowed here (an iframe without permission): pop out over the window instead
      }
    }
    root.classList.add("tst-popped");
    sync();
  };
  const el = button("full screen", "", () => {
    if (root) isFull() ? leave() : enter();
  }, "tst-fullscreen");
  const onKey = (event) => {
    if (event.key === "Escape" && root.classList.contains("tst-popped")) leave();
  };
  sync();
  return {
    el,
    attach(element) {
      root = element;
      document.addEventListener("fullscreenchange", sync);
      root.addEventListener("keydown", onKey);
      sync();
    },
    dispose() {
      document.removeEventListener("fullscreenchange", sync);
      if (!root) return;
      root.removeEventListener("keydown", onKey);
      if (document.fullscreenElement === root) document.exitFullscreen().catch(() => undefined);
    },
  };
}
