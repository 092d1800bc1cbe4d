// Polish only: every page works without this file (forms post, links navigate).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A form being sent: its button says so, and a second tap does not send it again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (!button) return;
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    button.setAttribute("aria-busy", "true");
    // leaving the page clears it; coming back from the history cache must not find it busy
    window.addEventListener("pageshow", function () {
      delete form.dataset.sending;
      button.removeAttribute("aria-busy");
    }, { once: true });
  });
})();
