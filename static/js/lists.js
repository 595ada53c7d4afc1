// Tack's sortable lists: what the board (board.js) and the backlog page (backlog.js) do
// alike. Drag-and-drop (SortableJS), the keyboard pick-up mode, Move menus drawn from the
// page's <template>, live updates (htmx SSE) held while an item is dragged or carried,
// resync, screen-reader announcements and the shortcut keys. A page calls
// TackLists.create once with its selectors and with hooks for what differs (what a drop
// posts, where a carried item goes, ...). Plain script, no build: loaded before the
// page's script. No inline scripts: the page's CSP allows only files from /static.
(function () {
  "use strict";

  // create wires one page's lists and returns what its hooks and its script use, or null
  // when the page has no live element or htmx did not load. Options:
  //   rootId, listSelector, itemSelector, linkSelector  the page's lists and items
  //   group, dragFormId, dragFilter                      SortableJS group, hidden drop form, what a drag does not start on
  //   menuTemplateId, filterKeys, focusForms             Move-menu template, filter query keys, forms whose item gets focus after their answer
  //   newTitleId, pickUpHint, pickUpKeys                 the "c" key's field, the pick-up announcement's help, keys that carry
  //   checkboxesAreKeys                                  a focused checkbox still takes shortcut keys
  //   escapeFocusesShortcuts                             Escape puts focus on the shortcuts list's summary even from outside it
  //   itemId(item), itemKey(item), listName(list)        an item's task id and key, a list's name for people
  //   fillMenu(form, item), menuTarget(list)             a Move menu's hidden fields, the value of its button to a list
  //   fillDrop(form, item, from, to)                     the drop form's fields for an item dropped from one list in another
  //   afterDrop(evt)                                     after the drop form's answer (the lists are no longer busy with it)
  //   carry(item, key)                                   moves a picked-up item for an arrow key; false when it cannot go
  //   extraKey(evt, item, active)                        the page's own keys; true when handled
  //   onLoad(root)                                       new content (and the page at start) after the lists wired it
  function create(o) {
    // Every live element (a board, the backlog, My work) says whether its stream is open;
    // the browser tests read it.
    document.body.addEventListener("htmx:sseOpen", function (evt) { evt.target.dataset.connected = "true"; });
    document.body.addEventListener("htmx:sseError", function (evt) { evt.target.dataset.connected = "false"; });

    var live = document.getElementById("live");
    if (!live || !window.htmx) return null;

    var root = "#" + o.rootId;
    var announcer = document.getElementById("announcer");
    var dragForm = document.getElementById(o.dragFormId);
    var me = live.dataset.user;
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

    var dragging = false;      // a pointer drag or a keyboard pick-up is under way
    var dragStarted = false;   // a pointer drag moved past its tolerance (Sortable's onStart)
    var inFlight = false;      // a drop request is waiting for its answer
    var resyncing = false;     // a resync request is waiting for its answer
    var pendingResync = false; // live updates arrived while busy: resync afterwards
    var pendingFocus = null;   // task id whose Move button gets focus after the next swap
    var opened = false;        // the live stream has opened at least once
    var sortables = [];
    var picked = null;         // keyboard pick-up: { item, list, next }

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

    // --- Requests and resync ---------------------------------------------------------

    document.body.addEventListener("htmx:configRequest", function (evt) {
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta && meta.content) evt.detail.headers["X-CSRF-Token"] = meta.content;
    });

    // currentFilter is the page's filter as the server encodes it, from the address bar
    // (the filter bar updates it without reloading the page).
    function currentFilter() {
      var from = new URLSearchParams(window.location.search);
      var q = new URLSearchParams();
      o.filterKeys.forEach(function (k) { if (from.get(k)) q.set(k, from.get(k)); });
      return q.toString();
    }

    // resync redraws every list from the server: after a reconnect, after a drag during
    // which updates were held back, and on filtered pages. The server renders the user's
    // pending conflicts, so a resync never loses one. One resync runs at a time; an update
    // or an answer arriving meanwhile may be newer than what it fetched, so it is followed
    // by another.
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
        // Not redrawn under an item being dragged or carried (see htmx:beforeSwap below):
        // the drop or the cancel redraws it.
        if (dragging) return;
        restoreState(held);
        if (pendingResync && !dragging && !inFlight) resync();
      };
      var path = window.location.pathname + window.location.search;
      return htmx.ajax("GET", path, { target: root, select: root, swap: "outerHTML" }).then(done, done);
    }

    function resyncIfDue() {
      if (pendingResync && !resyncing && !dragging && !inFlight) resync();
    }

    // A resync that answers while an item is being dragged or carried would redraw the
    // lists under it (the item would be dropped from a list that is gone): keep them, and
    // redraw once the item is dropped.
    document.body.addEventListener("htmx:beforeSwap", function (evt) {
      var target = evt.detail && evt.detail.target;
      if (dragging && target && target.id === o.rootId) {
        evt.detail.shouldSwap = false;
        pendingResync = true;
      }
    });

    // A change answered while a resync is on its way may be overwritten by the older
    // lists it fetched: fetch again afterwards.
    document.body.addEventListener("htmx:afterRequest", function (evt) {
      var cfg = evt.detail && evt.detail.requestConfig;
      if (resyncing && cfg && cfg.verb && cfg.verb !== "get") pendingResync = true;
    });

    function itemOf(el) { return el && el.closest ? el.closest(o.itemSelector) : null; }
    function itemsOf(list) {
      return Array.prototype.filter.call(list.children, function (c) { return c.matches(o.itemSelector); });
    }
    function allLists() { return Array.prototype.slice.call(document.querySelectorAll(root + " " + o.listSelector)); }

    // holdState remembers what redrawing items loses: focus and an open Move menu.
    // restoreState puts them back after a live swap or a resync. (Conflicts need no care
    // here: they are the server's state, rendered by every update that shows them.)
    function holdState() {
      var active = document.activeElement;
      var openForm = document.querySelector(root + " form.move-options");
      var inMenu = active && active.closest && active.closest("form.move-options");
      return {
        focusId: active && active.id ? active.id : null,
        focusItem: itemOf(active) ? itemOf(active).id : null,
        focusLink: !!(active && active.matches && active.matches(o.linkSelector)),
        focusMenuItem: inMenu && active.value ? active.value : null,
        openItem: openForm && itemOf(openForm) ? itemOf(openForm).id : null
      };
    }

    function restoreState(held) {
      var menu = null;
      if (held.openItem) {
        var open = document.getElementById(held.openItem);
        if (open) menu = open.querySelector("form.move-options") || openMenu(open);
      }
      var el = held.focusId ? document.getElementById(held.focusId) : null;
      if (!el && held.focusMenuItem && menu) {
        el = Array.prototype.find.call(menu.querySelectorAll("button"), function (b) { return b.value === held.focusMenuItem; }) || null;
      }
      if (!el && held.focusItem) {
        var item = document.getElementById(held.focusItem);
        el = item && (held.focusLink ? item.querySelector(o.linkSelector) : item.querySelector("[data-conflict-confirm], .move-button"));
      }
      if (el && document.activeElement !== el) el.focus();
    }

    // --- Move menu -------------------------------------------------------------------
    // Each item has one Move link (to its move page, for browsers without JavaScript).
    // Here it is a button that opens the item's Move menu in place: a copy of the page's
    // one menu template, filled in for the item and the lists as they are now. Its items
    // are the same plain forms the move page posts.

    var hasMenu = !!document.getElementById(o.menuTemplateId);

    function upgradeMoveButtons(el) {
      if (!hasMenu || !el.querySelectorAll) return;
      Array.prototype.forEach.call(el.querySelectorAll("a.move-button:not([role])"), function (a) {
        if (a.closest(root)) upgradeMoveButton(a);
      });
    }

    function upgradeMoveButton(a) {
      a.setAttribute("role", "button");
      a.setAttribute("aria-expanded", "false");
      a.setAttribute("title", "Move");
    }

    function closeMenu(item, focusButton) {
      var form = item && item.querySelector("form.move-options");
      var button = item && item.querySelector(".move-button");
      if (form) form.remove();
      if (button) {
        button.setAttribute("aria-expanded", "false");
        if (focusButton) button.focus();
      }
    }

    // openMenu draws the item's Move menu after its Move button and returns its form: a
    // button per other list (as the page shows them now) and the steps that apply.
    function openMenu(item) {
      var tpl = document.getElementById(o.menuTemplateId);
      var button = item.querySelector(".move-button");
      var list = item.parentElement;
      if (!tpl || !button || !list) return null;
      Array.prototype.forEach.call(document.querySelectorAll(root + " form.move-options"), function (f) {
        if (itemOf(f) !== item) closeMenu(itemOf(f), false);
      });
      var old = item.querySelector("form.move-options");
      if (old) old.remove();
      var form = tpl.content.querySelector("form").cloneNode(true);
      o.fillMenu(form, item);
      form.elements.filter.value = currentFilter();
      var targets = form.querySelector(".move-columns");
      allLists().forEach(function (l) {
        if (l === list) return;
        var b = document.createElement("button");
        b.type = "submit";
        b.name = "to";
        b.value = o.menuTarget(l);
        b.textContent = o.listName(l);
        targets.appendChild(b);
      });
      form.querySelector(".move-within").textContent = o.listName(list);
      var items = itemsOf(list);
      var i = items.indexOf(item);
      var drop = (i === 0 ? ["top", "up"] : []).concat(i === items.length - 1 ? ["down", "bottom"] : []);
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

    function menuIsOpen(item) { return !!(item && item.querySelector("form.move-options")); }

    document.addEventListener("click", function (evt) {
      var button = evt.target.closest && evt.target.closest(root + " a.move-button");
      if (!button || !hasMenu || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
      evt.preventDefault();
      var item = itemOf(button);
      if (menuIsOpen(item)) closeMenu(item, false);
      else openMenu(item);
    });

    // --- Drops -----------------------------------------------------------------------

    function setSortableDisabled(disabled) {
      sortables.forEach(function (s) { if (s.el.isConnected) s.option("disabled", disabled); });
    }

    // submitDrop sends an item's new place through the hidden drag form.
    function submitDrop(item, from, to) {
      o.fillDrop(dragForm, item, from, to);
      pendingFocus = o.itemId(item);
      inFlight = true;
      setSortableDisabled(true);
      htmx.trigger(dragForm, "submit");
    }

    if (dragForm) {
      dragForm.addEventListener("htmx:afterRequest", function (evt) {
        inFlight = false;
        dragging = false;
        setSortableDisabled(false);
        o.afterDrop(evt);
      });
    }

    // Move-menu and conflict forms are replaced by the swap they cause: remember the item
    // first.
    document.body.addEventListener("htmx:beforeRequest", function (evt) {
      var form = evt.detail.elt;
      if (form && form.closest && form.closest(o.focusForms)) {
        var item = itemOf(form);
        if (item) {
          pendingFocus = o.itemId(item);
          focusXhr = evt.detail.xhr;
          focusAnswered = false;
        }
      }
    });

    // A live update of the same item may be swapped in before the form's own answer: the
    // focus is put back after each swap, and forgotten only once the answer is in.
    var focusTimer = null;
    var focusXhr = null;       // the request of the form that asked for pendingFocus
    var focusAnswered = false; // its answer has been swapped in
    function restoreFocusSoon(evt) {
      if (evt && evt.detail && focusXhr && evt.detail.xhr === focusXhr) focusAnswered = true;
      if (focusTimer) return;
      focusTimer = window.setTimeout(function () {
        focusTimer = null;
        if (!pendingFocus) return;
        var item = document.getElementById("task-" + pendingFocus);
        if (focusAnswered) {
          pendingFocus = null;
          focusXhr = null;
        }
        if (!item) return;
        var target = item.querySelector("[data-conflict-confirm]") || item.querySelector(".move-button") || item.querySelector(o.linkSelector);
        if (target) target.focus();
      }, 0);
    }

    // --- Drag and drop ----------------------------------------------------------------

    function initSortables(el) {
      if (!window.Sortable || !dragForm) return;
      var lists = el.matches && el.matches(o.listSelector) ? [el] : el.querySelectorAll ? el.querySelectorAll(o.listSelector) : [];
      Array.prototype.forEach.call(lists, function (list) {
        if (list.dataset.sortable) return;
        list.dataset.sortable = "1";
        sortables = sortables.filter(function (s) { return s.el.isConnected; });
        sortables.push(Sortable.create(list, {
          group: o.group,
          // Drag with pointer events rather than native HTML5 drag and drop: the same code
          // path in every browser, a drag that synthetic input (browser tests) can drive,
          // and no browser drag image covering the drop target.
          forceFallback: true,
          fallbackTolerance: 3,
          animation: reduceMotion ? 0 : 150,
          draggable: o.itemSelector + ":not(.conflict)",
          filter: o.dragFilter,
          preventOnFilter: false,
          disabled: inFlight,
          // Live swaps are held from the pointer press, not from the drag's start a few
          // pixels later: an item redrawn under the pointer in between would end the drag.
          onChoose: function () { dragging = true; dragStarted = false; },
          onStart: function () { dragging = true; dragStarted = true; },
          // Released without dragging (a click): nothing to drop, so let the held updates
          // in. After a drag, onEnd follows and does that.
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
            submitDrop(evt.item, evt.from, evt.to);
          }
        }));
      });
    }

    // --- Keyboard pick-up mode ---------------------------------------------------------

    function describePlace(item) {
      var list = item.parentElement;
      var items = itemsOf(list);
      return o.listName(list) + ", position " + (items.indexOf(item) + 1) + " of " + items.length;
    }

    function focusItem(item) {
      var link = item.querySelector(o.linkSelector);
      if (link) link.focus();
    }

    function pickUp(item) {
      picked = { item: item, list: item.parentElement, next: item.nextElementSibling };
      dragging = true;
      item.classList.add("picked");
      item.setAttribute("aria-current", "true");
      announce("Picked up " + o.itemKey(item) + ". " + describePlace(item) + ". " + o.pickUpHint);
    }

    function dropPicked() {
      var p = picked;
      picked = null;
      p.item.classList.remove("picked");
      p.item.removeAttribute("aria-current");
      if (p.item.parentElement === p.list && p.item.nextElementSibling === p.next) {
        dragging = false;
        announce("Dropped " + o.itemKey(p.item) + " where it was.");
        if (pendingResync) resync();
        return;
      }
      submitDrop(p.item, p.list, p.item.parentElement);
    }

    function cancelPicked() {
      var p = picked;
      picked = null;
      p.item.classList.remove("picked");
      p.item.removeAttribute("aria-current");
      p.list.insertBefore(p.item, p.next);
      focusItem(p.item);
      dragging = false;
      announce("Move of " + o.itemKey(p.item) + " cancelled.");
      if (pendingResync) resync();
    }

    function movePicked(key) {
      var item = picked.item;
      if (o.carry(item, key) === false) return;
      focusItem(item);
      announce(o.itemKey(item) + ": " + describePlace(item));
    }

    function isTyping(el) {
      return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && !(o.checkboxesAreKeys && el.type === "checkbox"));
    }

    // --- Keys -------------------------------------------------------------------------

    document.addEventListener("keydown", function (evt) {
      if (evt.altKey || evt.ctrlKey || evt.metaKey) return;
      var active = document.activeElement;
      if (picked) {
        if (evt.key === " " || evt.key === "Enter") { evt.preventDefault(); dropPicked(); }
        else if (evt.key === "Escape") { evt.preventDefault(); cancelPicked(); }
        else if (o.pickUpKeys.test(evt.key)) { evt.preventDefault(); movePicked(evt.key); }
        return;
      }
      if (isTyping(active)) return;
      var item = itemOf(active);
      // The Move link is a button here: Space presses it, as it would a button.
      if (evt.key === " " && hasMenu && active.matches && active.matches(root + " a.move-button")) {
        evt.preventDefault();
        active.click();
        return;
      }
      if (evt.key === " " && item && active.matches(o.linkSelector) && dragForm && !inFlight) {
        evt.preventDefault();
        pickUp(item);
        return;
      }
      if (o.extraKey && o.extraKey(evt, item, active)) return;
      if (evt.key === "?") {
        var help = document.getElementById("shortcuts-toggle");
        if (help) { evt.preventDefault(); help.open = !help.open; }
        return;
      }
      if (evt.key === "c" || evt.key === "/") {
        var field = document.getElementById(evt.key === "c" ? o.newTitleId : "filter-text");
        if (field) { evt.preventDefault(); field.focus(); }
        return;
      }
      if (evt.key === "j" || evt.key === "k") {
        var links = Array.prototype.slice.call(document.querySelectorAll(root + " " + o.linkSelector));
        if (!links.length) return;
        var i = links.indexOf(active);
        var next = evt.key === "j" ? i + 1 : i - 1;
        if (i < 0) next = 0;
        if (next >= 0 && next < links.length) { evt.preventDefault(); links[next].focus(); }
      } else if (evt.key === "m" && item && hasMenu && item.querySelector("a.move-button")) {
        var menu = item.querySelector("form.move-options") || openMenu(item);
        var first = menu && menu.querySelector("button");
        if (first) { evt.preventDefault(); first.focus(); }
      } else if (evt.key === "Escape") {
        var shortcuts = document.querySelector("details.shortcuts-toggle[open]");
        var within = active && active.closest ? active.closest("details.shortcuts-toggle[open]") : null;
        var open = o.escapeFocusesShortcuts ? shortcuts : within;
        if (menuIsOpen(item) && (active.matches(".move-button") || active.closest("form.move-options"))) { closeMenu(item, true); }
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

    live.addEventListener("htmx:sseOpen", function () {
      if (opened) resync(); // reconnected: fetch whatever was missed
      opened = true;
    });

    var held = null; // focus and open menu kept across a live swap
    live.addEventListener("htmx:sseBeforeMessage", function (evt) {
      var lists = document.getElementById(o.rootId);
      if (dragging || inFlight || resyncing) {
        evt.preventDefault();
        pendingResync = true;
        return;
      }
      if (lists && lists.hasAttribute("data-filtered")) {
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

    // A live update that names an item or list this page does not have means the page
    // fell out of step: redraw it from the server. (Removing an item the page does not
    // show, such as one just created elsewhere, is fine.)
    document.body.addEventListener("htmx:oobErrorNoTarget", function (evt) {
      var content = evt.detail && evt.detail.content;
      if (content && content.tagName === "LI" && content.childElementCount === 0) return;
      resync();
    });
    function loaded(el) {
      initSortables(el);
      upgradeMoveButtons(el);
      if (o.onLoad) o.onLoad(el);
    }
    document.body.addEventListener("htmx:load", function (evt) { loaded(evt.detail.elt); });
    document.body.addEventListener("htmx:oobAfterSwap", restoreFocusSoon);
    document.body.addEventListener("htmx:afterSwap", restoreFocusSoon);
    loaded(document);

    return {
      itemOf: itemOf,
      itemsOf: itemsOf,
      lists: allLists,
      currentFilter: currentFilter,
      announce: announce,
      resync: resync,
      resyncIfDue: resyncIfDue,
      // markStale says the lists may be out of step: the next resyncIfDue redraws them.
      markStale: function () { pendingResync = true; },
      // isBusy: a drag, a drop or a resync is under way or due.
      isBusy: function () { return dragging || inFlight || resyncing || pendingResync; }
    };
  }

  window.TackLists = { create: create };
})();

// A task's time tracking section (task page and card panel), swapped in place by its
// forms: focus goes where the answer asks for attention (a conflict's confirm button, the
// first field with an error, the edit form, or the message of what was saved), so
// keyboard and screen-reader users follow without hunting for it.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (evt) {
    // After an outerHTML swap the event may name the section replaced: take the new one.
    var swapped = evt.detail && evt.detail.target;
    var section = swapped && swapped.id === "time-tracking" && document.getElementById("time-tracking");
    if (!section) return;
    var target = section.querySelector("[data-conflict-confirm]") ||
      section.querySelector('[aria-invalid="true"]') ||
      section.querySelector("#change-worklog input:not([type=hidden]), #change-worklog button[type=submit]") ||
      section.querySelector(".time-status");
    if (target) target.focus();
  });
})();
