// Small progressive enhancements; the portal works without them.
document.documentElement.classList.add("js");

// Confirmation dialogs on forms carrying data-confirm (CSP forbids inline handlers).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset ? form.dataset.confirm : null;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The navigation folds behind a "Menu" button on a narrow screen.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest ? event.target.closest(".nav-toggle") : null;
  if (!toggle) return;
  const nav = toggle.closest("nav");
  const open = nav.classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});

// Tables scroll inside their own box instead of the page; a box that scrolls can be reached
// with the keyboard (it is a named region with tabindex=0).
function wrapTables(root) {
  root.querySelectorAll("main table").forEach((table) => {
    let box = table.parentElement;
    if (!box.classList.contains("table-scroll")) {
      box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
  });
  markScrollingBoxes();
}

function markScrollingBoxes() {
  document.querySelectorAll(".table-scroll").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) {
      const caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : (box.dataset.label || document.title));
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}

document.addEventListener("DOMContentLoaded", () => wrapTables(document));
document.addEventListener("htmx:afterSettle", () => wrapTables(document));
window.addEventListener("resize", markScrollingBoxes);
