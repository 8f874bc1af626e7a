// Instants are rendered by the server in UTC (it does not know the reader's
// time zone); this rewrites each <time data-local> in the browser's own zone
// and the page's language, keeping the UTC text as its tooltip.
(function () {
  var lang = document.documentElement.lang || 'en';
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  } catch (e) {
    return;
  }
  function localize(root) {
    var times = root.querySelectorAll('time[data-local]:not([data-localized])');
    for (var i = 0; i < times.length; i++) {
      var time = times[i];
      var at = new Date(time.getAttribute('datetime'));
      if (isNaN(at.getTime())) continue;
      time.title = time.textContent;
      time.textContent = format.format(at);
      time.setAttribute('data-localized', '');
    }
  }
  localize(document);
})();
