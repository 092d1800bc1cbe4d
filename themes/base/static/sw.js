/* The cabinet's service worker, served as /sw.js (scope "/") by engine/web/pwa.py, which fills in
   CONFIG: the cache name (engine version + static files + cabinet version), the offline page and
   the public files to store on install.

   Privacy: pages and API answers are NEVER stored. A shared phone must not show the previous
   subscriber's balance offline, so navigations go to the network and, when it fails, get the
   offline page; only /static/ files, the icons and the offline page itself are kept. */
"use strict";

const CONFIG = /*CONFIG*/{"cache": "cabinet-dev", "offline": "/offline", "precache": []}/*END*/;
const PREFIX = "cabinet-";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CONFIG.cache);
    // "reload": the stored copies come from the server, not from the HTTP cache of an old deploy
    await cache.add(new Request(CONFIG.offline, {cache: "reload"}));
    // the rest is best effort: a missing logo must not stop the worker from installing
    await Promise.all(CONFIG.precache.map((url) =>
      cache.add(new Request(url, {cache: "reload"})).catch(() => undefined)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CONFIG.cache)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

function isPublicAsset(url) {
  return url.pathname.startsWith("/static/") || url.pathname.startsWith("/icons/")
    || CONFIG.precache.includes(url.pathname);
}

async function offlinePage() {
  const cache = await caches.open(CONFIG.cache);
  return (await cache.match(CONFIG.offline, {ignoreVary: true})) || Response.error();
}

async function cacheFirst(request) {
  const cache = await caches.open(CONFIG.cache);
  const stored = await cache.match(request, {ignoreVary: true});
  if (stored) {
    return stored;
  }
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    cache.put(request, response.clone()).catch(() => undefined);
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;                                   // forms and actions always go to the server
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // network only: the answer is not stored, whatever it is
    event.respondWith(fetch(request).catch(() => offlinePage()));
    return;
  }
  if (isPublicAsset(url)) {
    event.respondWith(cacheFirst(request));
  }
  // anything else (the API, other media, the manifest) is left to the browser and never stored
});
