// A button with data-fullscreen="<selector>" shows that element full screen (and back).
// Without JavaScript, or where the browser has no Fullscreen API, the button stays hidden:
// the page itself already shows only what matters.
(() => {
  "use strict";
  for (const button of document.querySelectorAll("[data-fullscreen]")) {
    const target = document.querySelector(button.dataset.fullscreen);
    if (!target || !target.requestFullscreen) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else {
        target.requestFullscreen().catch(() => {});
      }
    });
  }
})();
