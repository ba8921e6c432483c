/* The progress box above a bulk action's operations: draws the bar from the figures the page came
   with (as data-width: the Content-Security-Policy allows no inline style), polls its JSON every
   few seconds while anything is pending, updates the figures and the bar in place, and stops
   when all is settled. */
(function () {
  "use strict";

  const box = document.getElementById("operation-progress");
  if (!box) {
    return;
  }
  const url = box.dataset.url;
  const every = 3000; // ms between polls
  const slowest = 30000; // back-off ceiling after network failures
  let delay = every;

  function percent(part, total) {
    return total ? ((100 * part) / total).toFixed(1) + "%" : "0%";
  }

  function render(progress) {
    for (const name of ["succeeded", "failed", "pending", "total"]) {
      const figure = box.querySelector('[data-count="' + name + '"]');
      if (figure) {
        figure.textContent = String(progress[name]);
      }
    }
    for (const name of ["succeeded", "failed", "pending"]) {
      const bar = box.querySelector('[data-bar="' + name + '"]');
      if (bar) {
        bar.style.width = percent(progress[name], progress.total);
      }
    }
  }

  function finish(text) {
    const note = box.querySelector("[data-note]");
    if (!note) {
      return;
    }
    note.textContent = text + " ";
    const reload = document.createElement("a");
    reload.href = window.location.href;
    reload.textContent = "Reload the list";
    note.appendChild(reload);
  }

  async function poll() {
    if (document.hidden) {
      window.setTimeout(poll, every); // a background tab: check again later, without a request
      return;
    }
    let progress;
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        finish("Progress is not available (HTTP " + response.status + ").");
        return;
      }
      progress = await response.json();
    } catch (error) {
      delay = Math.min(delay * 2, slowest); // the network or the server hiccuped: try again later
      window.setTimeout(poll, delay);
      return;
    }
    delay = every;
    render(progress);
    if (progress.pending > 0) {
      window.setTimeout(poll, every);
    } else {
      finish("All settled.");
    }
  }

  for (const bar of box.querySelectorAll("[data-width]")) {
    bar.style.width = bar.dataset.width + "%";
  }
  if (Number(box.dataset.pending) > 0) {
    window.setTimeout(poll, every);
  }
})();
