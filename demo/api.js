// The product page's own code (demo/api.html): the Lexstream JS API in use. The queue form runs
// whether this file runs before or after the loader.
(window.lexstream = window.lexstream || []).push((chat) => {
  const log = document.getElementById('event-log');
  for (const name of ['ready', 'open', 'close', 'question', 'answer', 'error']) {
    chat.on(name, (detail) => {
      const entry = document.createElement('li');
      entry.textContent = detail ? `${name} ${JSON.stringify(detail)}` : name;
      entry.dataset.event = name;
      log.append(entry);
    });
  }
  const product = document.getElementById('ask-about-product');
  product.addEventListener('click', () => {
    chat.setSessionAttributes({ productId: product.dataset.productId });
    chat.open();
    chat.send('Tell me about this product');
  });
  document.getElementById('open-help').addEventListener('click', () => chat.toggle());
  document.getElementById('start-over').addEventListener('click', () => chat.newConversation());

  // Signing in: the site's login would give the ID token; on the devstack, its OpenID Connect
  // provider does (same origin only). The widget asks for a fresh one before this one expires.
  const signIn = document.getElementById('sign-in');
  const signOut = document.getElementById('sign-out');
  const signedInAs = document.getElementById('signed-in-as');
  const idToken = async (sub) => {
    const response = await fetch('/_devstack/oidc/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub, lifetimeSeconds: 3600 }),
    });
    if (!response.ok) throw new Error(`the devstack's provider answered ${response.status}`);
    return response.json();
  };
  signIn.addEventListener('click', async () => {
    const { subject } = signIn.dataset;
    try {
      const { idToken: token, provider } = await idToken(subject);
      chat.setLogin(provider, token, async () => (await idToken(subject)).idToken);
      signedInAs.textContent = `Signed in as ${subject}`;
      signIn.hidden = true;
      signOut.hidden = false;
    } catch (error) {
      signedInAs.textContent = `Could not sign in: ${error.message}`;
    }
  });
  signOut.addEventListener('click', () => {
    chat.setLogin(null);
    signedInAs.textContent = 'Signed out';
    signIn.hidden = false;
    signOut.hidden = true;
  });
});
