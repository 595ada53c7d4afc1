// Tack board: drag-and-drop (SortableJS), keyboard pick-up mode, live updates (htmx SSE)
// and screen-reader announcements. The board works without this file: every move is a
// plain form POST. No inline scripts: the page's CSP allows only files from /static.
(function () {
  "use strict";

  // Every live element (the board, My work) says whether its stream is open; the
  // browser tests read it.
  document.body.addEventListener("htmx:sseOpen", function (evt) { evt.target.dataset.connected = "true"; });
  document.body.addEventListener("htmx:sseError", function (evt) { evt.target.dataset.connected = "false"; });

  var live = document.getElementById("live");
  if (!live || !window.htmx) return;

  var announcer = document.getElementById("announcer");
  var dragForm = document.getElementById("drag-move");
  var me = live.dataset.user;
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var dragging = false;      // a pointer drag or a keyboard pick-up is under way
  var inFlight = false;      // a move request is waiting for its answer
  var resyncing = false;     // a resync request is waiting for its answer
  var pendingResync = false; // live updates arrived while busy: resync afterwards
  var pendingFocus = null;   // task id whose Move button gets focus after the next swap
  var opened = false;        // the live stream has opened at least once
  var sortables = [];
  var dragStarted = false;   // a pointer drag moved past its tolerance (Sortable's onStart)

  // --- Announcements -------------------------------------------------------------

  var announceTimer = null;
  var serverSpokeAt = 0; // when the server last wrote the live region
  function announce(text) {
    if (!announcer || !text) return;
    // Clearing first makes screen readers repeat an identical message.
    window.clearTimeout(announceTimer);
    announcer.textContent = "";
    announceTimer = window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // The server's message about the user's own action (a move, a conflict, an answer) is
  // the live region's last word: a local announcement still on its way is dropped.
  document.body.addEventListener("htmx:oobBeforeSwap", function (evt) {
    if (evt.detail && evt.detail.target === announcer) {
      window.clearTimeout(announceTimer);
      serverSpokeAt = Date.now();
    }
  });

  // Others' changes are announced at most every 3 seconds, summarised when several.
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

  // --- Requests ------------------------------------------------------------------

  document.body.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) evt.detail.headers["X-CSRF-Token"] = meta.content;
  });

  function currentBoardURL() {
    return window.location.pathname + window.location.search;
  }

  // resync redraws the whole board from the server: after a reconnect, after a drag
  // during which updates were held back, and for filtered boards. The server renders the
  // user's pending conflicts, so a resync never loses one. One resync runs at a time; an
  // update or an answer arriving meanwhile may be newer than what it fetched, so it is
  // followed by another.
  function resync() {
    if (resyncing) {
      pendingResync = true;
      return Promise.resolve();
    }
    pendingResync = false;
    resyncing = true;
    var held = holdBoardState();
    var done = function () {
      resyncing = false;
      // Not redrawn under a card being dragged or carried (see htmx:beforeSwap below):
      // the drop or the cancel redraws it.
      if (dragging) return;
      restoreBoardState(held);
      if (pendingResync && !dragging && !inFlight) resync();
    };
    return htmx.ajax("GET", currentBoardURL(), { target: "#board", select: "#board", swap: "outerHTML" })
      .then(done, done);
  }

  // A resync that answers while a card is being dragged or carried would redraw the
  // board under it (the card would be dropped from a list that is gone): keep the board,
  // and redraw it once the card is dropped.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (dragging && target && target.id === "board") {
      evt.detail.shouldSwap = false;
      pendingResync = true;
    }
  });

  // A change answered while a resync is on its way may be overwritten by the older
  // board it fetched: fetch again afterwards.
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var cfg = evt.detail && evt.detail.requestConfig;
    if (resyncing && cfg && cfg.verb && cfg.verb !== "get") pendingResync = true;
  });

  function cardOf(el) { return el && el.closest ? el.closest("li.card") : null; }

  // A card does not carry its task id, key or column (a board has hundreds): its item's
  // id is "task-" + the task id, its link's text starts with the key (a conflict in its
  // place says it in data-key), and its list names the column.
  function cardId(card) {
    return card && card.id && card.id.indexOf("task-") === 0 ? card.id.slice(5) : "";
  }
  function cardKey(card) {
    if (card.dataset.key) return card.dataset.key;
    var key = card.querySelector(".card-link small");
    return key ? key.textContent : "";
  }
  function cardColumn(card) {
    return (card.parentElement && card.parentElement.dataset.column) || card.dataset.column || "";
  }

  // holdBoardState remembers what redrawing cards loses: focus and an open Move menu.
  // restoreBoardState puts them back after a live swap or a resync. (Conflicts need no
  // care here: they are the server's state, rendered by every update that shows them.)
  function holdBoardState() {
    var active = document.activeElement;
    var openMenu = document.querySelector("#board form.move-options");
    var inMenu = active && active.closest && active.closest("form.move-options");
    return {
      focusId: active && active.id ? active.id : null,
      focusCard: cardOf(active) ? cardOf(active).id : null,
      focusLink: active && active.classList && active.classList.contains("card-link"),
      focusItem: inMenu && active.value ? active.value : null,
      openCard: openMenu && cardOf(openMenu) ? cardOf(openMenu).id : null
    };
  }

  function restoreBoardState(held) {
    var menu = null;
    if (held.openCard) {
      var card = document.getElementById(held.openCard);
      if (card) menu = card.querySelector("form.move-options") || openMenu(card);
    }
    var el = held.focusId ? document.getElementById(held.focusId) : null;
    if (!el && held.focusItem && menu) {
      el = Array.prototype.find.call(menu.querySelectorAll("button"), function (b) { return b.value === held.focusItem; }) || null;
    }
    if (!el && held.focusCard) {
      var c = document.getElementById(held.focusCard);
      el = c && (held.focusLink ? c.querySelector(".card-link") : c.querySelector("[data-conflict-confirm], .move-button"));
    }
    if (el && document.activeElement !== el) el.focus();
  }

  // --- Move menu -----------------------------------------------------------------------
  // Each card has one Move link (to its move page, for browsers without JavaScript). Here
  // it is a button that opens the card's Move menu in place: a copy of the page's one menu
  // template, filled in for the card and the board as it is now. Its items are the same
  // plain forms the move page posts.

  var filterKeys = ["assignee", "type", "label", "q", "sprint", "carried"];

  // currentFilter is the board's filter as the server encodes it, from the address bar
  // (the filter bar updates it without reloading the page).
  function currentFilter() {
    var from = new URLSearchParams(window.location.search);
    var q = new URLSearchParams();
    filterKeys.forEach(function (k) { if (from.get(k)) q.set(k, from.get(k)); });
    return q.toString();
  }

  function columnName(section) {
    var heading = section ? section.querySelector("h2") : null;
    return heading && heading.firstChild ? heading.firstChild.textContent.trim() : "";
  }

  function siblingCards(card) {
    return Array.prototype.filter.call(card.parentElement.children, function (c) { return c.matches("li.card"); });
  }

  var hasMenu = !!document.getElementById("move-menu-template");

  // upgradeCards gives newly drawn cards what only this script makes true: their links
  // describe the pick-up keys, and their Move links are buttons of their menus, with a
  // tooltip. (The handlers below do not wait for it: a card swapped in a moment ago works
  // too.)
  function upgradeCards(root) {
    if (!root.querySelectorAll) return;
    if (dragForm) {
      Array.prototype.forEach.call(root.querySelectorAll("a.card-link:not([aria-describedby])"), function (a) {
        a.setAttribute("aria-describedby", "pickup-help");
      });
    }
    if (!hasMenu) return;
    Array.prototype.forEach.call(root.querySelectorAll("a.move-button:not([role])"), upgradeMoveButton);
  }

  function upgradeMoveButton(a) {
    a.setAttribute("role", "button");
    a.setAttribute("aria-expanded", "false");
    a.setAttribute("title", "Move");
  }

  function closeMenu(card, focusButton) {
    var form = card && card.querySelector("form.move-options");
    var button = card && card.querySelector(".move-button");
    if (form) form.remove();
    if (button) {
      button.setAttribute("aria-expanded", "false");
      if (focusButton) button.focus();
    }
  }

  // openMenu draws the card's Move menu after its Move button and returns its form.
  function openMenu(card) {
    var tpl = document.getElementById("move-menu-template");
    var button = card.querySelector(".move-button");
    var section = card.closest("section.board-column");
    if (!tpl || !button || !section || !card.parentElement) return null;
    Array.prototype.forEach.call(document.querySelectorAll("#board form.move-options"), function (f) {
      if (cardOf(f) !== card) closeMenu(cardOf(f), false);
    });
    var old = card.querySelector("form.move-options");
    if (old) old.remove();
    var form = tpl.content.querySelector("form").cloneNode(true);
    var from = cardColumn(card);
    form.elements.task.value = cardId(card);
    form.elements.base_version.value = card.dataset.version;
    form.elements.from.value = from;
    form.elements.filter.value = currentFilter();
    var columns = form.querySelector(".move-columns");
    Array.prototype.forEach.call(document.querySelectorAll("#board section.board-column"), function (s) {
      if (s.dataset.column === from) return;
      var b = document.createElement("button");
      b.type = "submit";
      b.name = "to";
      b.value = "column:" + s.dataset.column;
      b.textContent = columnName(s);
      columns.appendChild(b);
    });
    form.querySelector(".move-within").textContent = columnName(section);
    var cards = siblingCards(card);
    var i = cards.indexOf(card);
    var drop = (i === 0 ? ["top", "up"] : []).concat(i === cards.length - 1 ? ["down", "bottom"] : []);
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

  function menuIsOpen(card) { return !!(card && card.querySelector("form.move-options")); }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("#board a.move-button");
    if (!button || !hasMenu || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
    evt.preventDefault();
    var card = cardOf(button);
    if (menuIsOpen(card)) closeMenu(card, false);
    else openMenu(card);
  });

  function setSortableDisabled(disabled) {
    sortables.forEach(function (s) { if (s.el.isConnected) s.option("disabled", disabled); });
  }

  // submitMove sends a card's new place through the hidden drag form.
  function submitMove(card, list) {
    var prev = card.previousElementSibling;
    var next = card.nextElementSibling;
    dragForm.elements.task.value = cardId(card);
    dragForm.elements.base_version.value = card.dataset.version;
    dragForm.elements.column.value = list.dataset.column;
    dragForm.elements.after.value = cardId(prev);
    dragForm.elements.before.value = cardId(next);
    pendingFocus = cardId(card);
    inFlight = true;
    setSortableDisabled(true);
    htmx.trigger(dragForm, "submit");
  }

  function moveFinished() {
    inFlight = false;
    dragging = false;
    setSortableDisabled(false);
    // After the answer has put focus on the moved card's Move button (restoreFocusSoon,
    // due first): a resync keeps the focus it finds, and htmx, which puts focus back on
    // an element with the same id, may have left it on the card's link.
    window.setTimeout(function () {
      if (pendingResync && !resyncing && !dragging && !inFlight) resync();
    }, 0);
  }

  if (dragForm) {
    dragForm.addEventListener("htmx:afterRequest", moveFinished);
  }

  // Move-menu forms are replaced by the swap they cause, so remember the card first.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.closest && form.closest(".move-options, .conflict-actions")) {
      var card = cardOf(form);
      if (card) pendingFocus = cardId(card);
    }
  });

  var focusTimer = null;
  function restoreFocusSoon() {
    if (focusTimer) return;
    focusTimer = window.setTimeout(function () {
      focusTimer = null;
      if (!pendingFocus) return;
      var card = document.getElementById("task-" + pendingFocus);
      pendingFocus = null;
      if (!card) return;
      var target = card.querySelector("[data-conflict-confirm]") || card.querySelector(".move-button") || card.querySelector(".card-link");
      if (target) target.focus();
    }, 0);
  }

  // --- Drag and drop ----------------------------------------------------------------

  function initSortables(root) {
    if (!window.Sortable || !dragForm) return;
    var lists = root.matches && root.matches("ul.cards") ? [root] : root.querySelectorAll ? root.querySelectorAll("ul.cards") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      sortables = sortables.filter(function (s) { return s.el.isConnected; });
      sortables.push(Sortable.create(list, {
        group: "board",
        // Drag with pointer events rather than native HTML5 drag and drop: the same code
        // path in every browser, a drag that synthetic input (browser tests) can drive,
        // and no browser drag image covering the drop target.
        forceFallback: true,
        fallbackTolerance: 3,
        animation: reduceMotion ? 0 : 150,
        draggable: "li.card:not(.conflict)",
        filter: ".move-button, .move-options, .conflict",
        preventOnFilter: false,
        disabled: inFlight,
        // Live swaps are held from the pointer press, not from the drag's start a few
        // pixels later: a card redrawn under the pointer in between would end the drag.
        onChoose: function () { dragging = true; dragStarted = false; },
        onStart: function () { dragging = true; dragStarted = true; },
        // Released without dragging (a click): nothing to drop, so let the held updates in.
        // After a drag, onEnd follows and does that.
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
          submitMove(evt.item, evt.to);
        }
      }));
    });
  }

  // --- Keyboard pick-up mode ---------------------------------------------------------

  var picked = null; // { card, list, next }

  function describePlace(card) {
    var list = card.parentElement;
    var cards = Array.prototype.filter.call(list.children, function (c) { return c.matches("li.card"); });
    var section = list.closest("section");
    var heading = section ? section.querySelector("h2") : null;
    var name = heading ? heading.firstChild.textContent.trim() : "";
    return name + ", position " + (cards.indexOf(card) + 1) + " of " + cards.length;
  }

  function focusCard(card) {
    var link = card.querySelector(".card-link");
    if (link) link.focus();
  }

  function pickUp(card) {
    picked = { card: card, list: card.parentElement, next: card.nextElementSibling };
    dragging = true;
    card.classList.add("picked");
    card.setAttribute("aria-current", "true");
    announce("Picked up " + cardKey(card) + ". " + describePlace(card) +
      ". Arrow keys move it, Space or Enter drops it, Escape cancels.");
  }

  function dropPicked() {
    var p = picked;
    picked = null;
    p.card.classList.remove("picked");
    p.card.removeAttribute("aria-current");
    if (p.card.parentElement === p.list && p.card.nextElementSibling === p.next) {
      dragging = false;
      announce("Dropped " + cardKey(p.card) + " where it was.");
      if (pendingResync) resync();
      return;
    }
    submitMove(p.card, p.card.parentElement);
  }

  function cancelPicked() {
    var p = picked;
    picked = null;
    p.card.classList.remove("picked");
    p.card.removeAttribute("aria-current");
    p.list.insertBefore(p.card, p.next);
    focusCard(p.card);
    dragging = false;
    announce("Move of " + cardKey(p.card) + " cancelled.");
    if (pendingResync) resync();
  }

  function movePicked(key) {
    var card = picked.card;
    var list = card.parentElement;
    if (key === "ArrowUp" || key === "ArrowDown") {
      var sib = key === "ArrowUp" ? card.previousElementSibling : card.nextElementSibling;
      if (!sib) return;
      list.insertBefore(card, key === "ArrowUp" ? sib : sib.nextElementSibling);
    } else {
      var lists = Array.prototype.slice.call(document.querySelectorAll("#board ul.cards"));
      var i = lists.indexOf(list) + (key === "ArrowLeft" ? -1 : 1);
      if (i < 0 || i >= lists.length) return;
      var index = Array.prototype.indexOf.call(list.children, card);
      var target = lists[i];
      target.insertBefore(card, target.children[index] || null);
    }
    focusCard(card);
    announce(cardKey(card) + ": " + describePlace(card));
  }

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.altKey || evt.ctrlKey || evt.metaKey) return;
    var active = document.activeElement;
    if (picked) {
      if (evt.key === " " || evt.key === "Enter") { evt.preventDefault(); dropPicked(); }
      else if (evt.key === "Escape") { evt.preventDefault(); cancelPicked(); }
      else if (/^Arrow(Up|Down|Left|Right)$/.test(evt.key)) { evt.preventDefault(); movePicked(evt.key); }
      return;
    }
    if (isTyping(active)) return;
    var card = cardOf(active);
    // The Move link is a button here: Space presses it, as it would a button.
    if (evt.key === " " && hasMenu && active.matches && active.matches("#board a.move-button")) {
      evt.preventDefault();
      active.click();
      return;
    }
    if (evt.key === " " && card && active.classList.contains("card-link") && dragForm && !inFlight) {
      evt.preventDefault();
      pickUp(card);
      return;
    }
    if (evt.key === "?") {
      var help = document.getElementById("shortcuts-toggle");
      if (help) { evt.preventDefault(); help.open = !help.open; }
      return;
    }
    if (evt.key === "c" || evt.key === "/") {
      var field = document.getElementById(evt.key === "c" ? "board-new-title" : "filter-text");
      if (field) { evt.preventDefault(); field.focus(); }
      return;
    }
    if (evt.key === "j" || evt.key === "k") {
      var links = Array.prototype.slice.call(document.querySelectorAll("#board .card-link"));
      if (!links.length) return;
      var i = links.indexOf(active);
      var next = evt.key === "j" ? i + 1 : i - 1;
      if (i < 0) next = 0;
      if (next >= 0 && next < links.length) { evt.preventDefault(); links[next].focus(); }
    } else if (evt.key === "m" && card && hasMenu && card.querySelector("a.move-button")) {
      var menu = card.querySelector("form.move-options") || openMenu(card);
      var first = menu && menu.querySelector("button");
      if (first) { evt.preventDefault(); first.focus(); }
    } else if (evt.key === "Escape") {
      var open = active && active.closest ? active.closest("details.shortcuts-toggle[open]") : null;
      var shortcuts = document.querySelector("details.shortcuts-toggle[open]");
      if (menuIsOpen(card) && (active.matches(".move-button") || active.closest("form.move-options"))) { closeMenu(card, true); }
      else if (open) { open.open = false; open.querySelector("summary").focus(); }
      else if (shortcuts) { shortcuts.open = false; }
    }
  });

  // A click outside the shortcuts list closes it, as a menu would.
  document.addEventListener("click", function (evt) {
    var help = document.querySelector("details.shortcuts-toggle[open]");
    if (help && !help.contains(evt.target)) help.open = false;
  });

  // --- Live updates ------------------------------------------------------------------

  // (data-connected is kept by the listeners at the top, for every live element.)
  live.addEventListener("htmx:sseOpen", function () {
    if (opened) resync(); // reconnected: fetch whatever was missed
    opened = true;
  });

  var held = null; // focus and open menu kept across a live swap
  live.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var board = document.getElementById("board");
    if (dragging || inFlight || resyncing) {
      evt.preventDefault();
      pendingResync = true;
      return;
    }
    if (board && board.hasAttribute("data-filtered")) {
      evt.preventDefault();
      resync();
      return;
    }
    held = holdBoardState();
  });

  live.addEventListener("htmx:sseMessage", function () {
    if (held) {
      restoreBoardState(held);
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

  // --- Card panel --------------------------------------------------------------------
  // A card link opens the card in a dialog (htmx fills #task-panel-body); its fields are
  // edited in place with the same version rule. Without JavaScript the link opens the
  // task page instead.

  // The board's card links carry no htmx attributes (a board has hundreds): this one
  // listener sends the panel request htmx would.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("#board a.card-link");
    if (!link || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
    evt.preventDefault();
    htmx.ajax("GET", link.getAttribute("href") + "/panel", { source: link, target: "#task-panel-body", swap: "innerHTML" });
  });

  var panel = document.getElementById("task-panel");
  var panelCard = null;    // id of the card whose link opened the panel
  var panelWanted = false; // a card was opened and the panel not closed since

  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.classList && elt.classList.contains("card-link") && cardOf(elt)) {
      panelCard = cardOf(elt).id;
      panelWanted = true;
    }
  });

  // After settle, not after swap: htmx wires the new form up when the swap settles, and
  // a key still on its way (the Enter that opened the panel) must not reach a form that
  // would then submit as a plain page POST.
  document.body.addEventListener("htmx:afterSettle", function (evt) {
    var swapped = evt.detail && evt.detail.target;
    if (!panel || !swapped || swapped.id !== "task-panel-body") return;
    // An answer that settles after the panel was closed does not open it again.
    if (!panelWanted) return;
    if (!panel.open) panel.showModal();
    var target = panel.querySelector("[data-conflict-confirm]") ||
      panel.querySelector('[aria-invalid="true"]') ||
      panel.querySelector(".panel-status") ||
      panel.querySelector('input[name="title"]') ||
      panel.querySelector(".panel-close");
    if (target) target.focus();
  });

  if (panel) {
    panel.addEventListener("click", function (evt) {
      if (evt.target.closest("[data-close-panel]")) panel.close();
    });
    panel.addEventListener("close", function () {
      panelWanted = false;
      var body = document.getElementById("task-panel-body");
      if (body) body.textContent = "";
      // Back to the card, wherever live updates have put it meanwhile.
      var card = panelCard && document.getElementById(panelCard);
      var link = card && card.querySelector(".card-link");
      if (link) link.focus();
      panelCard = null;
    });
  }

  // --- Wiring ------------------------------------------------------------------------

  // A live update that names a card or column this page does not have means the page
  // fell out of step: redraw it from the server.
  // (Removing a card the page does not show, such as one just created elsewhere, is fine.)
  document.body.addEventListener("htmx:oobErrorNoTarget", function (evt) {
    var content = evt.detail && evt.detail.content;
    if (content && content.tagName === "LI" && content.childElementCount === 0) return;
    resync();
  });
  document.body.addEventListener("htmx:load", function (evt) {
    initSortables(evt.detail.elt);
    upgradeCards(evt.detail.elt);
  });
  document.body.addEventListener("htmx:oobAfterSwap", restoreFocusSoon);
  document.body.addEventListener("htmx:afterSwap", restoreFocusSoon);
  initSortables(document);
  upgradeCards(document);

  // Expose state for tests and debugging; read-only use.
  window.tackBoard = {
    // isBusy: a drag, a move or a resync is under way or due.
    isBusy: function () { return dragging || inFlight || resyncing || pendingResync; },
    resync: resync
  };
})();
