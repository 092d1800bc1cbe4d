/* Registers the cabinet's service worker (offline page, static files); see engine/web/pwa.py. */
"use strict";

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(() => undefined);
  });
}
