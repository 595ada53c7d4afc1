// Tack task page: its time tracking section (log work, edit and delete worklogs) is
// answered in place by htmx, and kept live (the numbers and worklogs others change)
// through the task's own stream. The page works without this file: every form is a
// plain POST. The section's focus handling is lists.js's (shared with the card panel).
(function () {
  "use strict";
  if (!window.htmx) return;

  document.body.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) evt.detail.headers["X-CSRF-Token"] = meta.content;
  });

  // The live element says whether its stream is open; the browser tests read it.
  document.body.addEventListener("htmx:sseOpen", function (evt) { evt.target.dataset.connected = "true"; });
  document.body.addEventListener("htmx:sseError", function (evt) { evt.target.dataset.connected = "false"; });
})();
