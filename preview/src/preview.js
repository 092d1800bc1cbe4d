// Preview pages in Directus: connect them to Directus' Visual Editor, so that the texts and
// labels marked with data-directus="collection:…;item:…;fields:…" are edited in place. The
// Directus address comes from a meta tag the engine writes (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="cabinet-directus-url"]');
  var editing = window.DirectusVisualEditing;
  if (!meta || !editing || window.parent === window) {
    return;                                   // not inside Directus: a plain preview page
  }
  editing.apply({
    directusUrl: meta.content,
    // after a save, show the page as the engine renders it now (the preview reads Directus anew)
    onSaved: function () { window.location.reload(); }
  });
})();
