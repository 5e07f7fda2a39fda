// Progressive enhancement: every page works without this file.
// - Registers the service worker (/sw.js) that keeps visited pages offline.
// - Offline, "Add to cart" and cart changes wait in localStorage and are
//   sent when the connection returns; the cart then shows the server's answer.
// - Offline, checkout (and any other form) says it needs a connection.
"use strict";
(() => {
  const KEY = "souk-cart-queue";
  const main = document.querySelector("main");
  const queue = () => JSON.parse(localStorage.getItem(KEY) || "[]");
  const store = (q) => (q.length ? localStorage.setItem(KEY, JSON.stringify(q)) : localStorage.removeItem(KEY));

  function say(text, id) {
    let p = document.getElementById(id);
    if (!p) {
      p = document.createElement("p");
      p.id = id;
      p.className = "flash offline";
      p.setAttribute("role", "status");
      main.prepend(p);
    }
    p.textContent = text;
  }

  function showWaiting() {
    const q = queue();
    if (q.length) say(`Waiting for a connection: ${q.map((x) => x.what).join("; ")}. ` +
      "Sent when you are back online.", "waiting");
    else document.getElementById("waiting")?.remove();
  }

  const WHAT = { add: "Add to cart", update: "Change quantity", remove: "Remove" };

  document.addEventListener("submit", (e) => {
    const form = e.target, path = new URL(form.action, location.href).pathname;
    if (form.method !== "post") return;
    if (path.endsWith("/logout") && window.caches) caches.keys().then((ks) => ks.forEach((k) => caches.delete(k)));
    if (navigator.onLine) return;
    e.preventDefault();
    const cart = path.match(/^\/cart\/(add|update|remove)$/);
    if (!cart) {
      say(path.startsWith("/checkout") ? "Checkout needs a connection. You are offline: place the order when " +
        "you are back online; your cart is kept." : "You are offline: this needs a connection.", "needs");
      return;
    }
    // The product: the row's product link in lists and the cart, else the page's heading.
    const name = (form.closest("tr")?.querySelector("a[href^='/products/']") || document.querySelector("h1"))
      ?.textContent || "";
    const q = queue();
    q.push({ path, body: new URLSearchParams(new FormData(form)).toString(),
      what: WHAT[cart[1]] + (name ? ` “${name}”` : "") });
    store(q);
    showWaiting();
  });

  async function send() {
    let q = queue();
    if (!q.length || !navigator.onLine) return;
    say("Back online: sending your cart changes…", "waiting");
    while (q.length) {
      try {  // "manual": the cart page shows the server's messages, not the redirect target
        await fetch(q[0].path, { method: "POST", body: new URLSearchParams(q[0].body), redirect: "manual",
          credentials: "same-origin" });
      } catch {
        return showWaiting();
      }
      q = queue().slice(1);
      store(q);
    }
    location.assign("/cart");
  }

  addEventListener("online", send);
  addEventListener("offline", () => say("You are offline. Pages you opened before still open; " +
    "cart changes wait for the connection; checkout needs it.", "needs"));
  showWaiting();
  send();

  // register() fetches /sw.js each time: only when no worker runs, else
  // an update check at most hourly (a new deployment is a new worker).
  const sw = navigator.serviceWorker, checked = +localStorage.getItem("souk-sw-checked") || 0;
  if (sw && !sw.controller) sw.register("/sw.js");
  else if (sw && Date.now() - checked > 3600e3) {
    localStorage.setItem("souk-sw-checked", Date.now());
    sw.getRegistration().then((r) => r?.update());
  }

  const list = document.getElementById("saved-pages");
  if (list && window.caches) {
    caches.keys().then(async (keys) => {
      for (const k of keys.filter((k) => k.startsWith("pages-"))) {
        const cache = await caches.open(k);
        for (const r of await cache.keys()) {
          const url = new URL(r.url);
          if (url.pathname === "/offline") continue;
          const html = await (await cache.match(r)).text();
          const title = new DOMParser().parseFromString(html, "text/html").title;
          const li = document.createElement("li"), a = document.createElement("a");
          a.href = url.pathname + url.search;
          a.textContent = (title || url.pathname).replace(/ · Souk$/, "");
          li.append(a);
          list.append(li);
        }
      }
      if (list.children.length) document.getElementById("none-saved")?.remove();
    });
  }
})();
