// Version switcher and old-release banner for released libraries.
// Releases are immutable, so an old release cannot be rebuilt when a newer one appears: each page
// reads the archive's versions.json when it is viewed (as Read the Docs' flyout does).
(function () {
  "use strict";

  // Where the archive starts and which page this is, from a path like /site/2026.1/guidelines/x.html
  function locate(pathname, release) {
    for (const folder of [release, "latest"]) {
      const marker = "/" + folder + "/";
      const at = pathname.lastIndexOf(marker);
      if (at >= 0) {
        return { root: pathname.slice(0, at + 1), folder: folder, page: pathname.slice(at + marker.length) };
      }
    }
    return null;
  }

  function latestOf(versions) {
    const entry = versions.find((v) => (v.aliases || []).includes("latest")) || versions[0];
    return entry ? entry.version : null;
  }

  // The banner to show on this page, or null when it is the current release.
  function bannerFor(versions, release, where) {
    const latest = latestOf(versions);
    if (!latest || latest === release || where.folder === "latest") return null;
    return {
      text: "You are reading release " + release + ", which is not the current one. ",
      link: "Read this page in the current release (" + latest + ")",
      href: where.root + latest + "/" + where.page,
    };
  }

  // A disclosure of plain links, not a <select> that navigates on change: choosing an option
  // must not move the reader to another page by surprise (WCAG 3.2.2).
  function render(versions, release, where) {
    const article = document.querySelector("article") || document.body;
    const box = document.createElement("nav");
    box.className = "guidepress-versions";
    box.setAttribute("aria-label", "Library versions");
    const banner = bannerFor(versions, release, where);
    if (banner) {
      const note = document.createElement("p");
      note.className = "guidepress-old-release";
      note.setAttribute("role", "note");
      note.append(banner.text);
      const link = document.createElement("a");
      link.href = banner.href;
      link.textContent = banner.link;
      note.append(link);
      box.append(note);
    }
    const latest = latestOf(versions);
    const switcher = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Version " + release + (release === latest ? " (current)" : "") + ": other versions";
    const list = document.createElement("ul");
    for (const entry of versions) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = where.root + entry.version + "/" + where.page;
      link.textContent = entry.version + (entry.version === latest ? " (current)" : "") + (entry.date ? ", released " + entry.date : "");
      if (entry.version === release) link.setAttribute("aria-current", "page");
      item.append(link);
      list.append(item);
    }
    switcher.append(summary, list);
    const downloads = document.createElement("a");
    downloads.href = where.root + "downloads.html";
    downloads.textContent = "Downloads: every guideline's PDF, and a check of a PDF you hold";
    const footer = document.createElement("p");
    footer.append(downloads);
    box.append(switcher, footer);
    article.prepend(box);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const meta = document.querySelector('meta[name="guidepress-release"]');
    const where = meta && locate(window.location.pathname, meta.content);
    if (!where) return;
    fetch(where.root + "versions.json")
      .then((response) => (response.ok ? response.json() : []))
      .then((versions) => render(versions, meta.content, where))
      .catch(() => {});
  });
})();
