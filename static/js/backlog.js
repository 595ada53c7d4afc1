// Tack backlog page: drag-and-drop planning (SortableJS) between the sprints and the
// backlog, the keyboard pick-up mode, Move menus in place, multi-select and live updates
// (htmx SSE), with screen-reader announcements. The page works without this file: every
// change is a plain form POST. No inline scripts: the page's CSP allows only /static.
//
// Keys (not while typing in a field): Space on a task's title picks it up, ↑/↓ carry it
// within its list and on into the next or previous list, Space or Enter drops it, Escape
// cancels; x selects or unselects the focused task (Space stays the pick-up key, as on
// the board); shift-click on a checkbox selects the range from the last one clicked;
// m opens the Move menu; j/k next/previous task; c new task in the backlog; / filter.
(function () {
  "use strict";

  document.body.addEventListener("htmx:sseOpen", function (evt) { evt.target.dataset.connected = "true"; });
  document.body.addEventListener("htmx:sseError", function (evt) { evt.target.dataset.connected = "false"; });

  var live = document.getElementById("live");
  if (!live || !window.htmx) return;

  // htmx wires up swapped-in content when the swap settles, 20 ms later by default: a
  // click in between on a conflict's answer (drawn by a resync or a live update) would
  // submit the plain form and leave the page. Settle at once.
  htmx.config.defaultSettleDelay = 0;

  var announcer = document.getElementById("announcer");
  var dragForm = document.getElementById("plan-drag");
  var me = live.dataset.user;
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var dragging = false;      // a pointer drag or a keyboard pick-up is under way
  var dragStarted = false;   // a pointer drag moved past its tolerance
  var inFlight = false;      // a plan request is waiting for its answer
  var resyncing = false;     // a resync request is waiting for its answer
  var pendingResync = false; // live updates arrived while busy: resync afterwards
  var pendingFocus = null;   // task id whose Move button gets focus after the next swap
  var opened = false;        // the live stream has opened at least once
  var sortables = [];
  var picked = null;         // keyboard pick-up: { row, list, next }
  var selected = new Set();  // ids of the selected tasks, kept across redraws
  var lastClicked = null;    // id of the checkbox clicked last, for shift-click ranges

  // --- Announcements -------------------------------------------------------------

  var announceTimer = null;
  var serverSpokeAt = 0;
  function announce(text) {
    if (!announcer || !text) return;
    window.clearTimeout(announceTimer);
    announcer.textContent = "";
    announceTimer = window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // The server's message about the user's own change is the live region's last word.
  document.body.addEventListener("htmx:oobBeforeSwap", function (evt) {
    if (evt.detail && evt.detail.target === announcer) {
      window.clearTimeout(announceTimer);
      serverSpokeAt = Date.now();
    }
  });

  var othersQueue = [];
  var othersTimer = null;
  function announceOthers(note) {
    othersQueue.push(note);
    if (othersTimer) return;
    othersTimer = window.setTimeout(function flush() {
      othersTimer = null;
      if (othersQueue.length === 0 || dragging || Date.now() - serverSpokeAt < 3000) {
        if (othersQueue.length) othersTimer = window.setTimeout(flush, 3000);
        return;
      }
      var n = othersQueue.length;
      var last = othersQueue[n - 1];
      othersQueue = [];
      announce(n === 1 ? last : n + " changes by others; the latest: " + last);
    }, 800);
  }

  // --- Requests and resync ---------------------------------------------------------

  document.body.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) evt.detail.headers["X-CSRF-Token"] = meta.content;
  });

  var filterKeys = ["assignee", "type", "label", "q"];
  function currentFilter() {
    var from = new URLSearchParams(window.location.search);
    var q = new URLSearchParams();
    filterKeys.forEach(function (k) { if (from.get(k)) q.set(k, from.get(k)); });
    return q.toString();
  }

  // resync redraws every list from the server (the user's pending conflicts included):
  // after a reconnect, after a drag during which updates were held, when sprints changed
  // and on filtered pages. One runs at a time; one asked for meanwhile follows it.
  function resync() {
    if (resyncing) {
      pendingResync = true;
      return Promise.resolve();
    }
    pendingResync = false;
    resyncing = true;
    var held = holdState();
    var done = function () {
      resyncing = false;
      if (dragging) return;
      restoreState(held);
      if (pendingResync && !dragging && !inFlight) resync();
    };
    var path = window.location.pathname + window.location.search;
    return htmx.ajax("GET", path, { target: "#backlog", select: "#backlog", swap: "outerHTML" }).then(done, done);
  }

  // Never redraw the lists under a task being dragged or carried.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (dragging && target && target.id === "backlog") {
      evt.detail.shouldSwap = false;
      pendingResync = true;
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var cfg = evt.detail && evt.detail.requestConfig;
    if (resyncing && cfg && cfg.verb && cfg.verb !== "get") pendingResync = true;
  });

  function rowOf(el) { return el && el.closest ? el.closest("li.plan-row") : null; }
  function rowsOf(list) {
    return Array.prototype.filter.call(list.children, function (c) { return c.matches("li.plan-row"); });
  }
  function allLists() { return Array.prototype.slice.call(document.querySelectorAll("#backlog ul.plan-rows")); }
  function listName(list) {
    var h = document.getElementById("listh-" + list.dataset.list);
    if (!h) return "";
    var a = h.querySelector("a");
    return (a ? a.textContent : h.textContent).trim();
  }

  function holdState() {
    var active = document.activeElement;
    var inMenu = active && active.closest && active.closest("form.move-options");
    var openForm = document.querySelector("#backlog form.move-options");
    return {
      focusId: active && active.id ? active.id : null,
      focusRow: rowOf(active) ? rowOf(active).id : null,
      focusLink: active && active.classList && active.classList.contains("row-link"),
      focusItem: inMenu && active.value ? active.value : null,
      openRow: openForm && rowOf(openForm) ? rowOf(openForm).id : null
    };
  }

  function restoreState(held) {
    var menu = null;
    if (held.openRow) {
      var r = document.getElementById(held.openRow);
      if (r) menu = r.querySelector("form.move-options") || openMenu(r);
    }
    var el = held.focusId ? document.getElementById(held.focusId) : null;
    if (!el && held.focusItem && menu) {
      el = Array.prototype.find.call(menu.querySelectorAll("button"), function (b) { return b.value === held.focusItem; }) || null;
    }
    if (!el && held.focusRow) {
      var row = document.getElementById(held.focusRow);
      el = row && (held.focusLink ? row.querySelector(".row-link") : row.querySelector("[data-conflict-confirm], .move-button"));
    }
    if (el && document.activeElement !== el) el.focus();
  }

  // --- Move menu -------------------------------------------------------------------

  var hasMenu = !!document.getElementById("plan-menu-template");

  function upgradeMoveButtons(root) {
    if (!hasMenu || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll("a.move-button:not([role])"), function (a) {
      if (a.closest("#backlog")) upgradeMoveButton(a);
    });
  }
  function upgradeMoveButton(a) {
    a.setAttribute("role", "button");
    a.setAttribute("aria-expanded", "false");
  }

  function closeMenu(row, focusButton) {
    var form = row && row.querySelector("form.move-options");
    var button = row && row.querySelector(".move-button");
    if (form) form.remove();
    if (button) {
      button.setAttribute("aria-expanded", "false");
      if (focusButton) button.focus();
    }
  }

  // openMenu draws the row's Move menu after its Move button, from the page's template:
  // a button per other list (as the page shows them now) and the steps that apply.
  function openMenu(row) {
    var tpl = document.getElementById("plan-menu-template");
    var button = row.querySelector(".move-button");
    var list = row.parentElement;
    if (!tpl || !button || !list) return null;
    Array.prototype.forEach.call(document.querySelectorAll("#backlog form.move-options"), function (f) {
      if (rowOf(f) !== row) closeMenu(rowOf(f), false);
    });
    var old = row.querySelector("form.move-options");
    if (old) old.remove();
    var form = tpl.content.querySelector("form").cloneNode(true);
    form.elements.task.value = row.dataset.id;
    form.elements.base_version.value = row.dataset.version;
    form.elements.filter.value = currentFilter();
    var targets = form.querySelector(".move-columns");
    allLists().forEach(function (l) {
      if (l === list) return;
      var b = document.createElement("button");
      b.type = "submit";
      b.name = "to";
      b.value = l.dataset.list === "backlog" ? "backlog" : "sprint:" + l.dataset.list;
      b.textContent = listName(l);
      targets.appendChild(b);
    });
    form.querySelector(".move-within").textContent = listName(list);
    var rows = rowsOf(list);
    var i = rows.indexOf(row);
    var drop = (i === 0 ? ["top", "up"] : []).concat(i === rows.length - 1 ? ["down", "bottom"] : []);
    drop.forEach(function (v) {
      var b = form.querySelector('button[value="' + v + '"]');
      if (b) b.remove();
    });
    button.insertAdjacentElement("afterend", form);
    if (!button.hasAttribute("role")) upgradeMoveButton(button);
    button.setAttribute("aria-expanded", "true");
    htmx.process(form);
    return form;
  }

  function menuIsOpen(row) { return !!(row && row.querySelector("form.move-options")); }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("#backlog a.move-button");
    if (!button || !hasMenu || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
    evt.preventDefault();
    var row = rowOf(button);
    if (menuIsOpen(row)) closeMenu(row, false);
    else openMenu(row);
  });

  // --- Planning requests -----------------------------------------------------------

  function setSortableDisabled(disabled) {
    sortables.forEach(function (s) { if (s.el.isConnected) s.option("disabled", disabled); });
  }

  // submitPlan sends a row's new place through the hidden drag form.
  function submitPlan(row, from, list) {
    var prev = row.previousElementSibling;
    var next = row.nextElementSibling;
    dragForm.elements.task.value = row.dataset.id;
    dragForm.elements.base_version.value = row.dataset.version;
    dragForm.elements.from.value = from.dataset.list;
    dragForm.elements.list.value = list.dataset.list;
    dragForm.elements.after.value = prev && prev.dataset.id ? prev.dataset.id : "";
    dragForm.elements.before.value = next && next.dataset.id ? next.dataset.id : "";
    dragForm.elements.filter.value = currentFilter();
    pendingFocus = row.dataset.id;
    inFlight = true;
    setSortableDisabled(true);
    htmx.trigger(dragForm, "submit");
  }

  function planFinished(evt) {
    inFlight = false;
    dragging = false;
    setSortableDisabled(false);
    var xhr = evt && evt.detail && evt.detail.xhr;
    // A refusal other than a conflict (say, a sprint completed meanwhile) leaves the row
    // where it was dropped: say why and redraw from the server.
    if (xhr && xhr.status >= 400 && xhr.status !== 409) {
      var msg = "";
      try {
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var el = doc.querySelector(".error-message");
        msg = el ? el.textContent.trim() : "";
      } catch (e) { msg = ""; }
      announce("The move was not saved. " + msg);
      pendingResync = true;
    }
    if (pendingResync && !resyncing) resync();
  }
  if (dragForm) dragForm.addEventListener("htmx:afterRequest", planFinished);

  // Menu and conflict forms are replaced by the swap they cause: remember the row first.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.closest && form.closest(".move-options, .conflict-actions, .plan-create")) {
      var row = rowOf(form);
      if (row) pendingFocus = row.dataset.id;
    }
  });

  var focusTimer = null;
  function restoreFocusSoon() {
    if (focusTimer) return;
    focusTimer = window.setTimeout(function () {
      focusTimer = null;
      if (!pendingFocus) return;
      var row = document.getElementById("task-" + pendingFocus);
      pendingFocus = null;
      if (!row) return;
      var target = row.querySelector("[data-conflict-confirm]") || row.querySelector(".move-button") || row.querySelector(".row-link");
      if (target) target.focus();
    }, 0);
  }

  // --- Drag and drop ----------------------------------------------------------------

  function initSortables(root) {
    if (!window.Sortable || !dragForm) return;
    var lists = root.matches && root.matches("ul.plan-rows") ? [root] : root.querySelectorAll ? root.querySelectorAll("ul.plan-rows") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      sortables = sortables.filter(function (s) { return s.el.isConnected; });
      sortables.push(Sortable.create(list, {
        group: "backlog",
        forceFallback: true,
        fallbackTolerance: 3,
        animation: reduceMotion ? 0 : 150,
        draggable: "li.plan-row:not(.conflict)",
        filter: ".move-button, .move-options, .conflict, .row-select",
        preventOnFilter: false,
        disabled: inFlight,
        onChoose: function () { dragging = true; dragStarted = false; },
        onStart: function () { dragging = true; dragStarted = true; },
        onUnchoose: function () {
          if (dragStarted || picked || inFlight) return;
          dragging = false;
          if (pendingResync && !resyncing) resync();
        },
        onEnd: function (evt) {
          dragStarted = false;
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) {
            dragging = false;
            if (pendingResync) resync();
            return;
          }
          submitPlan(evt.item, evt.from, evt.to);
        }
      }));
    });
  }

  // --- Keyboard pick-up mode --------------------------------------------------------

  function describePlace(row) {
    var list = row.parentElement;
    var rows = rowsOf(list);
    return listName(list) + ", position " + (rows.indexOf(row) + 1) + " of " + rows.length;
  }

  function focusRow(row) {
    var link = row.querySelector(".row-link");
    if (link) link.focus();
  }

  function pickUp(row) {
    picked = { row: row, list: row.parentElement, next: row.nextElementSibling };
    dragging = true;
    row.classList.add("picked");
    row.setAttribute("aria-current", "true");
    announce("Picked up " + row.dataset.key + ". " + describePlace(row) +
      ". Up and down arrows move it, across sprints too; Space or Enter drops it, Escape cancels.");
  }

  function dropPicked() {
    var p = picked;
    picked = null;
    p.row.classList.remove("picked");
    p.row.removeAttribute("aria-current");
    if (p.row.parentElement === p.list && p.row.nextElementSibling === p.next) {
      dragging = false;
      announce("Dropped " + p.row.dataset.key + " where it was.");
      if (pendingResync) resync();
      return;
    }
    submitPlan(p.row, p.list, p.row.parentElement);
  }

  function cancelPicked() {
    var p = picked;
    picked = null;
    p.row.classList.remove("picked");
    p.row.removeAttribute("aria-current");
    p.list.insertBefore(p.row, p.next);
    focusRow(p.row);
    dragging = false;
    announce("Move of " + p.row.dataset.key + " cancelled.");
    if (pendingResync) resync();
  }

  // movePicked carries the picked row one place up or down; past the top or bottom of
  // its list it goes on to the end of the previous list or the start of the next one.
  function movePicked(key) {
    var row = picked.row;
    var list = row.parentElement;
    var rows = rowsOf(list);
    var i = rows.indexOf(row);
    if (key === "ArrowUp" && i > 0) {
      list.insertBefore(row, rows[i - 1]);
    } else if (key === "ArrowDown" && i < rows.length - 1) {
      list.insertBefore(row, rows[i + 1].nextElementSibling);
    } else {
      var lists = allLists();
      var j = lists.indexOf(list) + (key === "ArrowUp" ? -1 : 1);
      if (j < 0 || j >= lists.length) return;
      var target = lists[j];
      if (key === "ArrowUp") target.appendChild(row);
      else target.insertBefore(row, target.firstElementChild);
    }
    focusRow(row);
    announce(row.dataset.key + ": " + describePlace(row));
  }

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.type !== "checkbox");
  }

  // --- Multi-select -----------------------------------------------------------------

  var bar = document.getElementById("plan-many");
  var countLabel = document.getElementById("selection-count");

  function updateSelection() {
    if (!bar) return;
    // Rows that left the page (done, archived) leave the selection too.
    selected.forEach(function (id) { if (!document.getElementById("sel-" + id)) selected.delete(id); });
    var n = selected.size;
    bar.hidden = n === 0;
    if (countLabel) countLabel.textContent = n === 1 ? "1 selected" : n + " selected";
  }

  function setSelected(box, on) {
    box.checked = on;
    var row = rowOf(box);
    if (row) row.classList.toggle("selected", on);
    var id = box.id.replace(/^sel-/, "");
    if (on) selected.add(id); else selected.delete(id);
  }

  document.addEventListener("click", function (evt) {
    var box = evt.target.closest && evt.target.closest("#backlog input.row-select");
    if (!box) return;
    var id = box.id.replace(/^sel-/, "");
    if (evt.shiftKey && lastClicked && lastClicked !== id) {
      var boxes = Array.prototype.slice.call(document.querySelectorAll("#backlog input.row-select"));
      var a = boxes.findIndex(function (b) { return b.id === "sel-" + lastClicked; });
      var b = boxes.indexOf(box);
      if (a >= 0 && b >= 0) {
        var on = box.checked;
        boxes.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (x) { setSelected(x, on); });
      }
    }
    setSelected(box, box.checked);
    lastClicked = id;
    updateSelection();
  });

  // Redrawn rows keep their selection.
  function restoreSelection(root) {
    if (!root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll("input.row-select"), function (box) {
      if (selected.has(box.id.replace(/^sel-/, ""))) setSelected(box, true);
    });
    updateSelection();
  }

  // --- Keys -------------------------------------------------------------------------

  document.addEventListener("keydown", function (evt) {
    if (evt.altKey || evt.ctrlKey || evt.metaKey) return;
    var active = document.activeElement;
    if (picked) {
      if (evt.key === " " || evt.key === "Enter") { evt.preventDefault(); dropPicked(); }
      else if (evt.key === "Escape") { evt.preventDefault(); cancelPicked(); }
      else if (evt.key === "ArrowUp" || evt.key === "ArrowDown") { evt.preventDefault(); movePicked(evt.key); }
      return;
    }
    if (isTyping(active)) return;
    var row = rowOf(active);
    if (evt.key === " " && hasMenu && active.matches && active.matches("#backlog a.move-button")) {
      evt.preventDefault();
      active.click();
      return;
    }
    if (evt.key === " " && row && active.classList.contains("row-link") && dragForm && !inFlight) {
      evt.preventDefault();
      pickUp(row);
      return;
    }
    if (evt.key === "x" && row) {
      var box = row.querySelector("input.row-select");
      if (box) {
        evt.preventDefault();
        setSelected(box, !box.checked);
        lastClicked = row.dataset.id;
        updateSelection();
        announce((box.checked ? "Selected " : "Unselected ") + row.dataset.key + ". " + (countLabel ? countLabel.textContent : "") + ".");
      }
      return;
    }
    if (evt.key === "?") {
      var help = document.getElementById("shortcuts-toggle");
      if (help) { evt.preventDefault(); help.open = !help.open; }
      return;
    }
    if (evt.key === "c" || evt.key === "/") {
      var field = document.getElementById(evt.key === "c" ? "new-title-backlog" : "filter-text");
      if (field) { evt.preventDefault(); field.focus(); }
      return;
    }
    if (evt.key === "j" || evt.key === "k") {
      var links = Array.prototype.slice.call(document.querySelectorAll("#backlog .row-link"));
      if (!links.length) return;
      var i = links.indexOf(active);
      var next = evt.key === "j" ? i + 1 : i - 1;
      if (i < 0) next = 0;
      if (next >= 0 && next < links.length) { evt.preventDefault(); links[next].focus(); }
    } else if (evt.key === "m" && row && hasMenu && row.querySelector("a.move-button")) {
      var menu = row.querySelector("form.move-options") || openMenu(row);
      var first = menu && menu.querySelector("button");
      if (first) { evt.preventDefault(); first.focus(); }
    } else if (evt.key === "Escape") {
      var open = document.querySelector("details.shortcuts-toggle[open]");
      if (menuIsOpen(row) && (active.matches(".move-button") || active.closest("form.move-options"))) closeMenu(row, true);
      else if (open) { open.open = false; open.querySelector("summary").focus(); }
    }
  });

  document.addEventListener("click", function (evt) {
    var help = document.querySelector("details.shortcuts-toggle[open]");
    if (help && !help.contains(evt.target)) help.open = false;
  });

  // --- Live updates ------------------------------------------------------------------

  live.addEventListener("htmx:sseOpen", function () {
    if (opened) resync();
    opened = true;
  });

  var held = null;
  live.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var backlog = document.getElementById("backlog");
    if (dragging || inFlight || resyncing) {
      evt.preventDefault();
      pendingResync = true;
      return;
    }
    if (backlog && backlog.hasAttribute("data-filtered")) {
      evt.preventDefault();
      resync();
      return;
    }
    held = holdState();
  });

  live.addEventListener("htmx:sseMessage", function () {
    if (held) {
      restoreState(held);
      held = null;
    }
    var note = document.getElementById("live-note");
    if (note && note.dataset.resync) {
      note.removeAttribute("data-resync");
      resync();
    }
    if (note && note.dataset.note) {
      if (note.dataset.actor !== me) announceOthers(note.dataset.note);
      var changed = note.dataset.task && document.getElementById("task-" + note.dataset.task);
      if (changed && note.dataset.actor !== me) {
        changed.classList.add("updated");
        changed.setAttribute("title", note.dataset.note);
        window.setTimeout(function () { changed.classList.remove("updated"); }, 2500);
      }
    }
  });

  // --- Wiring ------------------------------------------------------------------------

  document.body.addEventListener("htmx:oobErrorNoTarget", function (evt) {
    var content = evt.detail && evt.detail.content;
    if (content && content.tagName === "LI" && content.childElementCount === 0) return;
    resync();
  });
  document.body.addEventListener("htmx:load", function (evt) {
    initSortables(evt.detail.elt);
    upgradeMoveButtons(evt.detail.elt);
    restoreSelection(evt.detail.elt);
  });
  document.body.addEventListener("htmx:oobAfterSwap", restoreFocusSoon);
  document.body.addEventListener("htmx:afterSwap", restoreFocusSoon);
  initSortables(document);
  upgradeMoveButtons(document);
  // Boxes the browser kept checked across a reload count as selected.
  Array.prototype.forEach.call(document.querySelectorAll("#backlog input.row-select:checked"), function (box) { setSelected(box, true); });
  updateSelection();

  window.tackBacklog = {
    isBusy: function () { return dragging || inFlight || resyncing || pendingResync; },
    resync: resync
  };
})();
