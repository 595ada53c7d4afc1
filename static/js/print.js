// Report pages: the Print button prints the page (the print stylesheet lays it out).
// Without JavaScript the button stays hidden and the print layout link does the job.
document.querySelectorAll("[data-print]").forEach((b) => {
  b.hidden = false;
  b.addEventListener("click", () => window.print());
});
