// A guideline past its next review date says so whenever it is read, not only on the day it was
// built: a published site, and its downloads page, are read for months after they are made.
// Dates are compared as YYYY-MM-DD in the reader's own time zone, as the validator does.
(function () {
  "use strict";
  const MARK = "guidepress-review-overdue";

  function today() {
    const now = new Date();
    const two = (n) => String(n).padStart(2, "0");
    return now.getFullYear() + "-" + two(now.getMonth() + 1) + "-" + two(now.getDate());
  }

  function isOverdue(nextReview) {
    return /^\d{4}-\d{2}-\d{2}$/.test(nextReview) && nextReview < today();
  }

  function mark() {
    for (const date of document.querySelectorAll(".guidepress-next-review")) {
      if (!isOverdue(date.textContent.trim()) || date.querySelector("." + MARK)) continue;
      const note = document.createElement("strong");
      note.className = MARK;
      note.textContent = " (review overdue: check with the library's editors that it still applies)";
      date.append(note);
    }
  }

  window.guidepress = Object.assign(window.guidepress || {}, { isOverdue: isOverdue });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
})();
