// Passkeys (WebAuthn) as progressive enhancement: without JavaScript or WebAuthn these forms stay
// hidden and password sign-in works as before. A form marked data-passkey="create" or "get" asks its
// page for options (POST <form action>?handler=PasskeyOptions, with the form's anti-forgery token),
// runs the browser ceremony, puts the credential JSON in the form's CredentialJson field and submits.
(() => {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  const fromBase64Url = (value) => {
    const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
  };
  const toBase64Url = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  const creationOptions = (json) => ({
    ...json,
    challenge: fromBase64Url(json.challenge),
    user: { ...json.user, id: fromBase64Url(json.user.id) },
    excludeCredentials: (json.excludeCredentials ?? []).map((c) => ({ ...c, id: fromBase64Url(c.id) })),
  });
  const requestOptions = (json) => ({
    ...json,
    challenge: fromBase64Url(json.challenge),
    allowCredentials: (json.allowCredentials ?? []).map((c) => ({ ...c, id: fromBase64Url(c.id) })),
  });

  const credentialJson = (credential) => {
    if (typeof credential.toJSON === 'function') {
      return JSON.stringify(credential.toJSON());
    }
    const r = credential.response;
    const response = r.attestationObject
      ? { clientDataJSON: toBase64Url(r.clientDataJSON), attestationObject: toBase64Url(r.attestationObject), transports: r.getTransports ? r.getTransports() : [] }
      : {
        clientDataJSON: toBase64Url(r.clientDataJSON),
        authenticatorData: toBase64Url(r.authenticatorData),
        signature: toBase64Url(r.signature),
        userHandle: r.userHandle ? toBase64Url(r.userHandle) : null,
      };
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response,
      authenticatorAttachment: credential.authenticatorAttachment ?? null,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  };

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    const mode = form.dataset.passkey;
    const status = form.querySelector('[data-passkey-status]');
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      if (form.elements.CredentialJson.value) {
        return; // second pass: the credential is in, let the browser post the form
      }
      event.preventDefault();
      try {
        const url = new URL(form.action, location.href);
        url.searchParams.set('handler', 'PasskeyOptions');
        const token = form.elements.__RequestVerificationToken.value;
        const response = await fetch(url, { method: 'POST', body: new URLSearchParams({ __RequestVerificationToken: token }), credentials: 'same-origin' });
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        const options = await response.json();
        const credential = mode === 'create'
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) });
        form.elements.CredentialJson.value = credentialJson(credential);
        form.requestSubmit();
      } catch {
        if (status) {
          status.hidden = false;
        }
      }
    });
  }
})();
