// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // Move focus to an error summary so screen-reader and keyboard users hear what to fix.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Buttons that must not be sent twice (double-submit protection on top of server checks).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
    });
  });
  // Confirmation for destructive or irreversible actions.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
