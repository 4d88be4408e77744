// A stand-in for an anywidget model: get/set/save_changes/on/off/send, with change events
// fired synchronously like Backbone's, and every message the widget sends recorded.
window.__sent = [];
window.__saved = 0;

window.fakeModel = function fakeModel(state) {
  const listeners = new Map();
  const fire = (event, ...args) => (listeners.get(event) || []).slice().forEach((fn) => fn(...args));
  return {
    state,
    get: (key) => state[key],
    set(key, value) {
      state[key] = value;
      fire(`change:${key}`);
    },
    save_changes() {
      window.__saved += 1;
    },
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(fn);
    },
    off(event, fn) {
      listeners.set(event, (listeners.get(event) || []).filter((f) => f !== fn));
    },
    send(message) {
      window.__sent.push(message);
    },
    // What the kernel would send back on the custom-message channel.
    receive(message) {
      fire("msg:custom", message, []);
    },
  };
};

window.loadScript = async function loadScript(url) {
  return import(url);
};
window.__pageReady = true;
