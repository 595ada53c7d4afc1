// Tack backlog page: planning between the sprints and the backlog through the shared
// lists (lists.js: drag-and-drop, keyboard pick-up mode, Move menus in place, live
// updates, announcements, keys), with multi-select and its own carry across lists. The
// page works without this file: every change is a plain form POST. No inline scripts:
// the page's CSP allows only /static.
//
// Keys (not while typing in a field): Space on a task's title picks it up, ↑/↓ carry it
// within its list and on into the next or previous list, Space or Enter drops it, Escape
// cancels; x selects or unselects the focused task (Space stays the pick-up key, as on
// the board); shift-click on a checkbox selects the range from the last one clicked;
// m opens the Move menu; j/k next/previous task; c new task in the backlog; / filter.
(function () {
  "use strict";

  var selected = new Set();  // ids of the selected tasks, kept across redraws
  var lastClicked = null;    // id of the checkbox clicked last, for shift-click ranges
  var bar = document.getElementById("plan-many");
  var countLabel = document.getElementById("selection-count");

  function rowOf(el) { return el && el.closest ? el.closest("li.plan-row") : null; }
  function listName(list) {
    var h = document.getElementById("listh-" + list.dataset.list);
    if (!h) return "";
    var a = h.querySelector("a");
    return (a ? a.textContent : h.textContent).trim();
  }

  var lists = window.TackLists && window.TackLists.create({
    rootId: "backlog",
    listSelector: "ul.plan-rows",
    itemSelector: "li.plan-row",
    linkSelector: ".row-link",
    group: "backlog",
    dragFormId: "plan-drag",
    dragFilter: ".move-button, .move-options, .conflict, .row-select",
    menuTemplateId: "plan-menu-template",
    filterKeys: ["assignee", "type", "label", "q"],
    focusForms: ".move-options, .conflict-actions, .plan-create",
    newTitleId: "new-title-backlog",
    pickUpHint: "Up and down arrows move it, across sprints too; Space or Enter drops it, Escape cancels.",
    pickUpKeys: /^Arrow(Up|Down)$/,
    checkboxesAreKeys: true,
    escapeFocusesShortcuts: true,
    itemId: function (row) { return row.dataset.id; },
    itemKey: function (row) { return row.dataset.key; },
    listName: listName,
    fillMenu: function (form, row) {
      form.elements.task.value = row.dataset.id;
      form.elements.base_version.value = row.dataset.version;
    },
    menuTarget: function (list) { return list.dataset.list === "backlog" ? "backlog" : "sprint:" + list.dataset.list; },
    fillDrop: function (form, row, from, list) {
      var prev = row.previousElementSibling;
      var next = row.nextElementSibling;
      form.elements.task.value = row.dataset.id;
      form.elements.base_version.value = row.dataset.version;
      form.elements.from.value = from.dataset.list;
      form.elements.list.value = list.dataset.list;
      form.elements.after.value = prev && prev.dataset.id ? prev.dataset.id : "";
      form.elements.before.value = next && next.dataset.id ? next.dataset.id : "";
      form.elements.filter.value = lists.currentFilter();
    },
    afterDrop: function (evt) {
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
        lists.announce("The move was not saved. " + msg);
        lists.markStale();
      }
      lists.resyncIfDue();
    },
    // carry moves the picked row one place up or down; past the top or bottom of its list
    // it goes on to the end of the previous list or the start of the next one.
    carry: function (row, key) {
      var list = row.parentElement;
      var rows = lists.itemsOf(list);
      var i = rows.indexOf(row);
      if (key === "ArrowUp" && i > 0) {
        list.insertBefore(row, rows[i - 1]);
      } else if (key === "ArrowDown" && i < rows.length - 1) {
        list.insertBefore(row, rows[i + 1].nextElementSibling);
      } else {
        var all = lists.lists();
        var j = all.indexOf(list) + (key === "ArrowUp" ? -1 : 1);
        if (j < 0 || j >= all.length) return false;
        var target = all[j];
        if (key === "ArrowUp") target.appendChild(row);
        else target.insertBefore(row, target.firstElementChild);
      }
      return true;
    },
    extraKey: function (evt, row) {
      if (evt.key !== "x" || !row) return false;
      var box = row.querySelector("input.row-select");
      if (box) {
        evt.preventDefault();
        setSelected(box, !box.checked);
        lastClicked = row.dataset.id;
        updateSelection();
        lists.announce((box.checked ? "Selected " : "Unselected ") + row.dataset.key + ". " + (countLabel ? countLabel.textContent : "") + ".");
      }
      return true;
    },
    onLoad: restoreSelection
  });
  if (!lists) return;

  // htmx wires up swapped-in content when the swap settles, 20 ms later by default: a
  // click in between on a conflict's answer (drawn by a resync or a live update) would
  // submit the plain form and leave the page. Settle at once.
  htmx.config.defaultSettleDelay = 0;

  // --- Multi-select -----------------------------------------------------------------

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

  // Boxes the browser kept checked across a reload count as selected.
  Array.prototype.forEach.call(document.querySelectorAll("#backlog input.row-select:checked"), function (box) { setSelected(box, true); });
  updateSelection();

  window.tackBacklog = {
    isBusy: lists.isBusy,
    resync: lists.resync
  };
})();
