// Passkey buttons of Kratos' flows carry the name of the function Kratos'
// webauthn.js defines (data-ory-trigger). The portal's CSP forbids inline
// onclick handlers, so this wires the clicks, and shows the buttons only
// where the browser supports WebAuthn.
(function () {
  if (!window.PublicKeyCredential) return;
  document.documentElement.classList.add('webauthn');
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-ory-trigger]');
    if (!button) return;
    event.preventDefault();
    var trigger = window[button.getAttribute('data-ory-trigger')];
    if (typeof trigger === 'function') trigger();
  });
})();
