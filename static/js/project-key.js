// Tack: the new-project form suggests a key from the name as it is typed, until the key
// is edited by hand (emptying the key field hands it back to the suggestion). The
// suggestion is the one store.SuggestKey makes on the server; it is also written to the
// hidden key_suggested field, so the server knows the key was not chosen and adds a
// digit when it is taken. Without this script a blank key is suggested by the server.
(() => {
  "use strict";

  // suggestKey mirrors store.SuggestKey: initials of the name's words (at most four),
  // or the first three characters of a one-word name; ASCII letters and digits only,
  // starting with a letter; "" when fewer than two remain.
  const suggestKey = (name) => {
    const words = name.match(/[A-Za-z0-9]+/g) || [];
    const noLeadingDigits = (s) => s.toUpperCase().replace(/^[0-9]+/, "");
    let key = noLeadingDigits(words.map((w) => w[0]).join(""));
    if (words.length < 2 || key.length < 2) {
      key = noLeadingDigits(words.join("")).slice(0, 3);
    }
    key = key.slice(0, 4);
    return key.length < 2 ? "" : key;
  };

  const form = document.querySelector("form[data-suggest-key]");
  if (!form) {
    return;
  }
  const name = form.elements.namedItem("name");
  const key = form.elements.namedItem("key");
  const suggested = form.elements.namedItem("key_suggested");
  if (!name || !key || !suggested) {
    return;
  }
  // A form shown again after an error keeps following the name only if its key was
  // the suggestion.
  let follow = key.value === "" || key.value === suggested.value;

  name.addEventListener("input", () => {
    if (!follow) {
      return;
    }
    const k = suggestKey(name.value);
    key.value = k;
    suggested.value = k;
  });
  key.addEventListener("input", () => {
    follow = key.value === "";
    suggested.value = "";
  });
})();
