// Holder form: the subtype select offers only the subtypes of the chosen client type (the
// server checks it again); no subtypes for the type: the select is disabled. CSP: no inline JS.
(function () {
  function filter() {
    const tipo = document.getElementById("id_tipo_cliente");
    const sotto = document.getElementById("id_sottotipo_cliente");
    if (!tipo || !sotto || !tipo.dataset.subtypes) return;
    const allowed = JSON.parse(tipo.dataset.subtypes)[tipo.value] || [];
    sotto.querySelectorAll("option").forEach((option) => {
      const keep = option.value === "" || allowed.includes(option.value);
      option.hidden = !keep;
      option.disabled = !keep;
      if (!keep && option.selected) sotto.value = "";
    });
    sotto.disabled = allowed.length === 0;
  }
  document.addEventListener("DOMContentLoaded", filter);
  document.addEventListener("change", (event) => {
    if (event.target && event.target.id === "id_tipo_cliente") filter();
  });
})();
