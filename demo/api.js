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
});
