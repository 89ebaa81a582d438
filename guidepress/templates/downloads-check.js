// The downloads page's check of a PDF a clinic holds: its SHA-256 is matched against the
// releases, so a clinic can tell what it holds and whether it is current without installing
// anything. The releases are in the page itself, not fetched from versions.json, so the check
// also works on a saved copy or an archive opened from a disk.
(function () {
  "use strict";
  const input = document.getElementById("check-file");
  const out = document.getElementById("check-result");
  const hex = (buffer) =>
    Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  function say(text, link) {
    out.textContent = text;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      out.append(" ", a);
    }
  }
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    say("Checking " + file.name + "\u2026");
    try {
      const versions = JSON.parse(document.getElementById("releases").textContent);
      const digest = hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
      const current = versions[0];
      for (const release of versions) {
        const compendium = release.compendium;
        if (compendium && compendium.sha256 === digest) {
          const what = file.name + " is the compendium of the whole library, published in " +
            "release " + release.version + " (SHA-256 " + digest + "). ";
          if (release === current) return say(what + "It is the current release.");
          return say(what + "It has been superseded by release " + current.version + ".",
            current.compendium &&
              { href: current.compendium.pdf, text: "Download the current compendium" });
        }
        const found = release.guidelines.find((g) => g.sha256 === digest);
        if (!found) continue;
        const now = current.guidelines.find((g) => g.id === found.id);
        const what = file.name + " is \u201c" + found.title + "\u201d version " + found.version +
          ", published in release " + release.version + " (SHA-256 " + digest + "). ";
        if (now && now.status === "retired") {
          return say(what + "The guideline has been retired (release " + current.version +
            "): it is withdrawn, do not use it.");
        }
        // The same version with the same content is current even if its file differs: a later
        // release may lay the PDF out anew (another guidepress, another publication address).
        const isCurrent = now && (now.sha256 === digest ||
          (now.version === found.version && now.digest === found.digest));
        if (isCurrent && window.guidepress.isOverdue(now.next_review_date)) {
          return say(what + "It is the current approved version, but it was due for review on " +
            now.next_review_date + ": check with the library's editors that it still applies.");
        }
        if (isCurrent) return say(what + "It is the current approved version.");
        if (now) {
          return say(what + "It has been superseded: the current version is " + now.version +
            " (release " + current.version + ").",
            { href: now.pdf, text: "Download the current version" });
        }
        return say(what + "It is not in the current release (" + current.version +
          "); do not rely on it.");
      }
      say(file.name + " does not match any PDF published in this library (SHA-256 " + digest +
        "). It may have been altered, or come from somewhere else: do not rely on it.");
    } catch (error) {
      say("The file could not be checked here (" + error + "). Compare its SHA-256 with the " +
        "table above instead.");
    }
  });
})();
