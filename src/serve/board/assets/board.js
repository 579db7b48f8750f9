// statuswatch board: live updates. The page is complete without this file; where it runs, it
// listens to the event stream and, when anything happens, fetches the same page again and
// swaps in its <main>. No markup is built here: the server renders it (escaped), and parsed
// HTML never runs scripts, so nothing from a feed can become code.
(function () {
  'use strict';
  var body = document.body;
  if (!body || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var stream = body.getAttribute('data-stream') || '/api/v1/events/stream';
  var kinds = (body.getAttribute('data-kinds') || '').split(/\s+/).filter(Boolean);
  var timer = null;
  var busy = false;
  var again = false;
  var everOpen = false;
  // A page built before the change this refresh was for (the server was still rebuilding):
  // ask again shortly, a few times, rather than show it as current.
  var staleTries = 0;
  var STALE_RETRIES = 8;

  // One re-fetch for a burst of events (a poll cycle writes many at once).
  function soon() {
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(refresh, 250);
  }

  function refresh() {
    timer = null;
    var stale = false;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, {
      headers: { Accept: 'text/html' },
      cache: 'no-store',
      credentials: 'same-origin'
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('HTTP ' + response.status);
        }
        stale = /detail=stale/.test(response.headers.get('Cache-Status') || '');
        return response.text();
      })
      .then(swap)
      .catch(function () {
        // Keep the page as it is; the next event tries again.
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          staleTries = 0;
          soon();
        } else if (stale && staleTries < STALE_RETRIES) {
          staleTries += 1;
          timer = setTimeout(refresh, 400);
        } else {
          staleTries = 0;
        }
      });
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    var next = fresh.querySelector('main');
    var current = document.querySelector('main');
    if (!next || !current) {
      return;
    }
    current.replaceWith(document.adoptNode(next));
    if (fresh.title) {
      document.title = fresh.title;
    }
  }

  var source = new EventSource(stream);
  source.addEventListener('open', function () {
    body.setAttribute('data-live', 'on');
    // After a reconnection, events may have been missed: show the page as it is now.
    if (everOpen) {
      soon();
    }
    everOpen = true;
  });
  source.addEventListener('error', function () {
    // EventSource reconnects by itself; say so until it has.
    body.setAttribute('data-live', source.readyState === EventSource.CLOSED ? 'off' : 'reconnecting');
  });
  // Named events (`event: state_change`) only reach listeners of their name.
  source.addEventListener('message', soon);
  kinds.forEach(function (kind) {
    source.addEventListener(kind, soon);
  });
})();
