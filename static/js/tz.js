// Tells the server the browser's time zone, so dates such as a worklog's default work
// date are "today" where the user is. Without it (JavaScript off) the server uses UTC.
(function () {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=" + encodeURIComponent(tz)) < 0) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: the server's default stands */ }
})();
