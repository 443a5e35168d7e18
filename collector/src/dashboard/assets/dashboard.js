// Progressive enhancement for the dashboard; every page works without it.
(() => {
  const units = [
    ["year", 31536e6],
    ["month", 2592e6],
    ["week", 6048e5],
    ["day", 864e5],
    ["hour", 36e5],
    ["minute", 6e4],
  ];
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const relative = (iso) => {
    const diff = Date.parse(iso) - Date.now();
    for (const [unit, ms] of units)
      if (Math.abs(diff) >= ms) return format.format(Math.trunc(diff / ms), unit);
    return "just now";
  };
  // Relative times drift while a page stays open: refresh them every half minute.
  setInterval(() => {
    for (const el of document.querySelectorAll("time[data-relative]")) {
      el.textContent = el.dataset.relative + relative(el.getAttribute("datetime"));
    }
  }, 30000);

  // Live regions (the matrix, a release grid, the deployments list) carry data-live with the
  // stream's URL. The server says something changed (Server-Sent Events); we fetch this page
  // again and swap only the regions, then outline the matrix cell that changed.
  let pending;
  const regions = () => [...document.querySelectorAll("[data-live][id]")];
  const refresh = (change) => {
    for (const region of regions()) {
      const target = `#${region.id}`;
      window.htmx
        .ajax("GET", location.pathname + location.search, { target, select: target, swap: "outerHTML" })
        .then(() => mark(change));
    }
  };
  const mark = (change) => {
    if (!change.product || !change.environment) return;
    for (const row of document.querySelectorAll("tr[data-product]")) {
      if (row.dataset.product !== change.product) continue;
      for (const cell of row.querySelectorAll("td[data-environment]")) {
        if (cell.dataset.environment === change.environment) cell.classList.add("flash-cell");
      }
    }
  };
  const connect = () => {
    const first = regions()[0];
    if (!first || !window.EventSource || !window.htmx) return;
    const source = new EventSource(first.dataset.live);
    // Marks the page as live once the stream is open (tests and curious people can see it).
    source.addEventListener("ready", () => {
      document.documentElement.dataset.live = "connected";
    });
    source.addEventListener("change", (event) => {
      const change = JSON.parse(event.data);
      clearTimeout(pending);
      pending = setTimeout(() => refresh(change), 100);
    });
  };
  document.addEventListener("DOMContentLoaded", connect);
})();
