// Loads the portal's wasm only when the page has an island, then hydrates
// each `<leptos-island>` (outermost first, so that a nested island finds its
// parent's context) with the function the module exports for it. Adapted
// from Leptos 0.8's `island_script.js` (MIT), without its idle wait: the
// islands are what the visitor came to use.
((jsUrl, wasmUrl) => {
  if (!document.querySelector('leptos-island')) return;
  const childrenHooks = [];
  async function hydrateIsland(el, mod) {
    const island = mod[el.dataset.component];
    if (!island) {
      console.warn(`No wasm function for the island ${el.dataset.component}.`);
      return;
    }
    const hook = childrenHooks[childrenHooks.length - 1];
    if (hook) hook();
    await island(el);
  }
  async function walk(node, mod) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = node.tagName.toLowerCase();
    if (tag === 'leptos-island') await hydrateIsland(node, mod);
    if (tag === 'leptos-children') childrenHooks.push(node.$$on_hydrate);
    for (const child of node.children) await walk(child, mod);
    if (tag === 'leptos-children') childrenHooks.pop();
  }
  import(jsUrl).then((mod) =>
    mod.default({ module_or_path: wasmUrl }).then(() => {
      mod.hydrate();
      return walk(document.body, mod);
    }));
})
