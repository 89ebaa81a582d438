// A code block or table wider than the screen scrolls sideways; keyboard users can only scroll it
// if it can take focus (WCAG 2.1.1, axe's scrollable-region-focusable). Only regions that really
// overflow become tab stops, and that is re-checked when the window is resized.
(function () {
  "use strict";
  const REGIONS = "pre, .table-wrapper, div.math";

  function update() {
    for (const region of document.querySelectorAll(REGIONS)) {
      const overflows = region.scrollWidth > region.clientWidth || region.scrollHeight > region.clientHeight;
      if (overflows && !region.hasAttribute("tabindex")) {
        region.setAttribute("tabindex", "0");
        region.dataset.guidepressScrollable = "";
      } else if (!overflows && "guidepressScrollable" in region.dataset) {
        region.removeAttribute("tabindex");
        delete region.dataset.guidepressScrollable;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", update);
})();
