// Expiry page: a checkbox that selects every renewable box (CSP: no inline handlers).
document.addEventListener("change", (event) => {
  const all = event.target;
  if (!all.matches || !all.matches("input[data-select-all]")) return;
  const form = all.closest("form");
  if (!form) return;
  form.querySelectorAll("input[type=checkbox][name=caselle]").forEach((box) => {
    box.checked = all.checked;
  });
});
