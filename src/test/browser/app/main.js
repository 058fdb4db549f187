import { message } from './message.js';

function render(text) {
  document.getElementById('message').textContent = text;
}

render(message);

// Hot module replacement: a new message.js is applied in place, without reloading the page.
if (import.meta.hot) {
  import.meta.hot.accept('./message.js', (updated) => render(updated.message));
}
