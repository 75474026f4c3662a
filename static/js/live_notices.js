// A notice that holds only until the outcome shows ("sent to Openapi: the outcome appears
// here", tagged "pending") goes away once the page's live part shows nothing in progress, so
// it never stands above the outcome it announced (CSP: no inline scripts).
(function () {
  function sweep() {
    if (document.querySelector("[data-pending-work]")) return;
    document.querySelectorAll("article.message.pending").forEach((notice) => notice.remove());
  }
  document.addEventListener("DOMContentLoaded", sweep);
  document.addEventListener("htmx:afterSettle", sweep);
})();
