// The pages' only script: live progress of a solve job, and a copy button for the feed link.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.querySelector(button.dataset.copy);
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value);
      button.textContent = "Gekopieerd";
    });
  });
  // Departure page: the embedded itinerary (same origin) as tall as its content, nothing cut off.
  document.querySelectorAll("iframe[data-fit-content]").forEach(function (frame) {
    function fit() {
      try {
        var doc = frame.contentDocument;
        if (doc && doc.documentElement) frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
      } catch (e) { /* not readable: keep the stylesheet's height */ }
    }
    frame.addEventListener("load", fit);
    window.addEventListener("resize", fit);
    fit();
  });
  // A form sent back with errors: focus its summary, which links to each field in error (WCAG 3.3.1).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
  // A wide table scrolls in its own region, reachable by Tab (to scroll it with the arrow keys) only
  // while it is wider than the page: no extra Tab stops otherwise.
  function wraps() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) wrap.setAttribute("tabindex", "0");
      else wrap.removeAttribute("tabindex");
    });
  }
  wraps();
  window.addEventListener("resize", wraps);
  // Job page: ask the JSON API once a second until the job has ended.
  // The figures are not live (they change every second); one polite status line says when the
  // status or stage changes, and what came of it at the end.
  var root = document.querySelector("[data-job]");
  if (!root) return;
  var stages = JSON.parse(root.dataset.stages), statuses = JSON.parse(root.dataset.statuses);
  var levels = JSON.parse(root.dataset.levels);
  var FINAL = ["done", "stopped", "failed", "cancelled"];
  function num(v) { return v == null ? "\u2014" : String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, " "); }
  function dec(v, digits) { return v.toFixed(digits).replace(".", ","); }
  function set(name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }
  var said = "";
  function announce(job, stage) {
    var status = statuses[job.status] || job.status, text;
    if (FINAL.indexOf(job.status) >= 0) {
      text = "Berekening " + status + "." + (job.message ? " " + job.message : "") +
        (job.plan_id ? " Het conceptplan staat klaar." : "");
    } else {
      text = "Berekening " + status + (stage ? ", fase: " + stage : "") + ".";
    }
    if (text !== said) { said = text; set("announce", text); }
  }
  function show(job) {
    var p = job.progress || {};
    set("status", statuses[job.status] || job.status);
    set("stage", stages[p.stage] || p.stage || "\u2014");
    announce(job, stages[p.stage] || p.stage);
    set("incumbent", num((p.objective || {}).planned_priority));
    set("bound", num((p.bound || {}).planned_priority));
    set("gap", p.gap == null ? "\u2014" : dec(100 * p.gap, 2) + " %");
    set("elapsed", dec(p.elapsed || 0, 1) + " s");
    if (p.proven) set("proven", p.proven.map(function (k) { return levels[k] || k; }).join(", ") || "geen niveau");
    var restricted = root.querySelector('[data-field="restricted"]');
    if (restricted && p.restrictions && p.restrictions.length) {
      restricted.textContent = "Beperkt model (programmaschaal): " + p.restrictions.join("; ") +
        ". Niets hiervan heet bewezen optimaal; de bovengrens geldt voor het hele scenario.";
      restricted.hidden = false;
    }
    set("message", job.message || "");
    var notice = root.querySelector('[data-field="worker-notice"]');
    if (notice) { set("worker-notice", job.worker_notice || ""); notice.hidden = !job.worker_notice; }
    var queued = root.querySelector('[data-field="queue-notice"]');
    if (queued) { set("queue-notice", job.queue_notice || ""); queued.hidden = !job.queue_notice; }
    root.dataset.status = job.status;
    if (FINAL.indexOf(job.status) < 0) return false;
    var link = root.querySelector("[data-plan-link]");
    if (job.plan_id && link) { link.href = "/plans/" + job.plan_id; link.hidden = false; }
    var stop = root.querySelector("[data-stop]");
    if (stop) {
      // Focus was on "Stoppen", which goes: move it to the result rather than drop it to the page.
      var had = stop.contains(document.activeElement);
      stop.hidden = true;
      if (had) (link && !link.hidden ? link : root.querySelector("h1")).focus();
    }
    return true;
  }
  function poll() {
    fetch("/api/jobs/" + root.dataset.job, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (job) { if (!show(job)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });  // a hiccup: try again a little later
  }
  if (FINAL.indexOf(root.dataset.status) < 0) setTimeout(poll, 1000);
})();

// Planning board: one bar's details open at a time; Escape closes them and returns to the bar.
(function () {
  "use strict";
  var board = document.querySelector(".board-scroll");
  if (!board) return;
  function closeAll(except) {
    board.querySelectorAll("details.bar[open]").forEach(function (d) { if (d !== except) d.open = false; });
  }
  // The server placed each label for the board's minimum width; the board is often wider: a label
  // beside its bar moves in where it now fits, and one clipped inside moves out.
  board.querySelectorAll("details.bar").forEach(function (d) {
    var summary = d.querySelector("summary"), text = d.querySelector(".bar-text");
    if (!summary || !text) return;
    var glyph = d.querySelector(".glyph");
    var room = summary.clientWidth - 10 - (glyph ? glyph.offsetWidth + 3 : 0);
    if (d.classList.contains("label-in")) {
      if (text.scrollWidth > text.clientWidth + 1) { d.classList.remove("label-in"); d.classList.add("label-right"); }
      return;
    }
    var shown = text.textContent, full = text.dataset.full || shown;
    text.textContent = full;  // beside the bar its width is its text's: measure the full label first
    if (text.offsetWidth - 6 > room) text.textContent = shown;
    if (text.offsetWidth - 6 <= room) {
      d.classList.remove("label-right", "label-left");
      d.classList.add("label-in");
    }
  });
  board.addEventListener("toggle", function (event) {
    var d = event.target;
    if (d.matches && d.matches("details.bar") && d.open) closeAll(d);
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = board.querySelector("details.bar[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
})();
