// Tack board: its columns of cards through the shared lists (lists.js: drag-and-drop,
// keyboard pick-up mode, Move menus, live updates, announcements, keys) and the card
// panel. The board works without this file: every move is a plain form POST. No inline
// scripts: the page's CSP allows only files from /static.
(function () {
  "use strict";

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

  function columnName(list) {
    var section = list.closest("section.board-column");
    var heading = section ? section.querySelector("h2") : null;
    return heading && heading.firstChild ? heading.firstChild.textContent.trim() : "";
  }

  var dragForm = document.getElementById("drag-move");

  var lists = window.TackLists && window.TackLists.create({
    rootId: "board",
    listSelector: "ul.cards",
    itemSelector: "li.card",
    linkSelector: ".card-link",
    group: "board",
    dragFormId: "drag-move",
    dragFilter: ".move-button, .move-options, .conflict",
    menuTemplateId: "move-menu-template",
    filterKeys: ["assignee", "type", "label", "q", "sprint", "carried"],
    focusForms: ".move-options, .conflict-actions",
    newTitleId: "board-new-title",
    pickUpHint: "Arrow keys move it, Space or Enter drops it, Escape cancels.",
    pickUpKeys: /^Arrow(Up|Down|Left|Right)$/,
    itemId: cardId,
    itemKey: cardKey,
    listName: columnName,
    fillMenu: function (form, card) {
      form.elements.task.value = cardId(card);
      form.elements.base_version.value = card.dataset.version;
      form.elements.from.value = cardColumn(card);
    },
    menuTarget: function (list) { return "column:" + list.dataset.column; },
    fillDrop: function (form, card, from, list) {
      form.elements.task.value = cardId(card);
      form.elements.base_version.value = card.dataset.version;
      form.elements.column.value = list.dataset.column;
      form.elements.after.value = cardId(card.previousElementSibling);
      form.elements.before.value = cardId(card.nextElementSibling);
    },
    afterDrop: function () {
      // After the answer has put focus on the moved card's Move button (due first): a
      // resync keeps the focus it finds, and htmx, which puts focus back on an element
      // with the same id, may have left it on the card's link.
      window.setTimeout(function () { lists.resyncIfDue(); }, 0);
    },
    // Up and down within the column; left and right to the same place in the next one.
    carry: function (card, key) {
      var list = card.parentElement;
      if (key === "ArrowUp" || key === "ArrowDown") {
        var sib = key === "ArrowUp" ? card.previousElementSibling : card.nextElementSibling;
        if (!sib) return false;
        list.insertBefore(card, key === "ArrowUp" ? sib : sib.nextElementSibling);
        return true;
      }
      var all = lists.lists();
      var i = all.indexOf(list) + (key === "ArrowLeft" ? -1 : 1);
      if (i < 0 || i >= all.length) return false;
      var index = Array.prototype.indexOf.call(list.children, card);
      var target = all[i];
      target.insertBefore(card, target.children[index] || null);
      return true;
    },
    // w logs work on the focused card: its panel opens on the log-work form.
    extraKey: function (evt, card) {
      var link = evt.key === "w" && card && card.querySelector(".card-link");
      if (!link) return false;
      evt.preventDefault();
      panelFocus = "#log-date";
      htmx.ajax("GET", link.getAttribute("href") + "/panel", { source: link, target: "#task-panel-body", swap: "innerHTML" });
      return true;
    },
    // Newly drawn cards' links describe the pick-up keys. (The key handlers do not wait
    // for it: a card swapped in a moment ago works too.)
    onLoad: function (root) {
      if (!dragForm || !root.querySelectorAll) return;
      Array.prototype.forEach.call(root.querySelectorAll("a.card-link:not([aria-describedby])"), function (a) {
        a.setAttribute("aria-describedby", "pickup-help");
      });
    }
  });
  if (!lists) return;

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
  var panelFocus = null;   // what gets focus when the panel opens ("w": the log-work form)
  var panelCard = null;    // id of the card whose link opened the panel
  var panelWanted = false; // a card was opened and the panel not closed since

  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.classList && elt.classList.contains("card-link") && lists.itemOf(elt)) {
      panelCard = lists.itemOf(elt).id;
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
    var wanted = panelFocus && panel.querySelector(panelFocus);
    panelFocus = null;
    var target = wanted || panel.querySelector("[data-conflict-confirm]") ||
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
      // Through htmx, so that the panel's live stream of the task is closed too.
      if (body) htmx.swap(body, "", { swapStyle: "innerHTML" });
      // Back to the card, wherever live updates have put it meanwhile.
      var card = panelCard && document.getElementById(panelCard);
      var link = card && card.querySelector(".card-link");
      if (link) link.focus();
      panelCard = null;
    });
  }

  // Expose state for tests and debugging; read-only use.
  window.tackBoard = {
    // isBusy: a drag, a move or a resync is under way or due.
    isBusy: lists.isBusy,
    resync: lists.resync
  };
})();
