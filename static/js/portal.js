// Small progressive enhancements; the portal works without them.
// Confirmation dialogs on forms carrying data-confirm (CSP forbids inline handlers).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset ? form.dataset.confirm : null;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
