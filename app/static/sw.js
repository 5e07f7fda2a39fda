// Souk's service worker, served as /sw.js with `const V = "<deployment>"`
// put before this file: a new deployment is a new V, so a new worker whose
// activation deletes the caches of the old one.
// Pages: network first, a copy kept for offline (never checkout or login).
// Stylesheet, script, photos: their URLs name their content, cache first.
const PAGES = "pages-" + V, FILES = "files-" + V, MAX_PAGES = 40;

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(PAGES).then((c) => c.add("/offline")).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => !k.endsWith(V)).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const r = e.request, url = new URL(r.url);
  if (r.method !== "GET" || url.origin !== location.origin) return;
  if (/^\/static\/|^\/photos\/.*\.webp$/.test(url.pathname)) e.respondWith(file(r));
  else if (r.mode === "navigate") e.respondWith(page(r, url));
});

async function file(r) {
  const hit = await caches.match(r);
  if (hit) return hit;
  const res = await fetch(r);
  if (res.ok) (await caches.open(FILES)).put(r, res.clone());
  return res;
}

async function page(r, url) {
  let res;
  try {
    res = await fetch(r);
  } catch {
    const cache = await caches.open(PAGES);
    const hit = await cache.match(r, { ignoreVary: true });
    return hit ? saved(hit) : cache.match("/offline");
  }
  if (res.ok && !/^\/(checkout|auth|offline)/.test(url.pathname) &&
      (res.headers.get("Content-Type") || "").startsWith("text/html")) keep(r, res.clone());
  return res;
}

async function keep(r, res) {
  const headers = new Headers(res.headers);
  headers.set("X-Saved-At", Date.now());
  const cache = await caches.open(PAGES);
  await cache.put(r.url, new Response(await res.blob(), { headers }));
  const keys = await cache.keys();  // oldest first; /offline is the first
  for (const k of keys.slice(1, Math.max(1, keys.length - MAX_PAGES))) cache.delete(k);
}

async function saved(hit) {
  const at = new Date(+hit.headers.get("X-Saved-At"));
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const note = `<p class="flash offline" role="status">Offline — saved copy from ${time}</p>`;
  return new Response((await hit.text()).replace(/<main[^>]*>/, (m) => m + note), { headers: hit.headers });
}
