// Passkeys in the browser: make one (on /passkeys) and sign in with one (on the sign-in page).
// Buttons carry data-passkey="register" or data-passkey="sign-in"; the page's CSRF token is the
// one in its forms. Without WebAuthn in the browser the buttons stay hidden.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    return Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
                       body: body ? JSON.stringify(body) : "{}"});
  }
  function say(button, text) {
    var place = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (place) { place.textContent = text; }
  }

  function register(button) {
    post(button.dataset.options).then(function (r) { return r.json(); }).then(function (options) {
      options.challenge = toBytes(options.challenge);
      options.user.id = toBytes(options.user.id);
      (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.create({publicKey: options});
    }).then(function (credential) {
      return post(button.dataset.action, {
        id: credential.id, rawId: toText(credential.rawId), type: credential.type,
        response: {clientDataJSON: toText(credential.response.clientDataJSON),
                   attestationObject: toText(credential.response.attestationObject),
                   transports: credential.response.getTransports ? credential.response.getTransports() : []}});
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.ok) { window.location.reload(); } else { say(button, answer.message); }
    }).catch(function () { say(button, button.dataset.failed); });
  }

  function signIn(button) {
    post(button.dataset.options).then(function (r) { return r.json(); }).then(function (options) {
      options.challenge = toBytes(options.challenge);
      (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      var response = credential.response;
      return post(button.dataset.action, {
        id: credential.id, rawId: toText(credential.rawId), type: credential.type,
        response: {clientDataJSON: toText(response.clientDataJSON),
                   authenticatorData: toText(response.authenticatorData),
                   signature: toText(response.signature),
                   userHandle: response.userHandle ? toText(response.userHandle) : null}});
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.ok) { window.location.assign(answer.next || "/"); } else { say(button, answer.message); }
    }).catch(function () { say(button, button.dataset.failed); });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      if (button.dataset.passkey === "register") { register(button); } else { signIn(button); }
    });
  });
})();
