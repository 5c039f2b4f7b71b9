/**
 * The page script, served as /static/gate.js (CSP: script-src 'self', nothing inline). It only
 * enhances: every page works without it. What it adds:
 *  - countdowns (time[data-countdown]) tick every second;
 *  - a request page listens to the request's event stream (the session cookie authenticates it)
 *    and, on each event, re-fetches the server-rendered #state section and swaps it in, announcing
 *    the new status in the polite live region; once the request is no longer pending the decision
 *    forms are replaced by a note (typed text is kept while it is still pending);
 *  - the list page re-fetches its #requests section every few seconds and swaps it in when the
 *    set of requests or their progress changed.
 * Markup always comes from the server (one escaping path); the script writes only textContent.
 */
export const CLIENT_JS = `'use strict';
(function () {
  var EVENT_TYPES = ['created', 'approval', 'question', 'answer', 'approved', 'denied', 'expired', 'cancelled', 'executing', 'executed'];
  var LIST_POLL_MS = 5000;

  function announce(text) {
    var region = document.getElementById('announce');
    if (!region || !text) return;
    region.textContent = '';
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function duration(seconds) {
    var out = '';
    [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]].forEach(function (u) {
      var n = Math.floor(seconds / u[1]);
      if (n > 0) out += n + u[0];
      seconds -= n * u[1];
    });
    return out || '0s';
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll('time[data-countdown]').forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute('datetime')) - now) / 1000);
      el.textContent = left <= 0 ? 'expired' : duration(left) + ' left';
    });
  }

  // Fetches a server-rendered section and returns the element with this id from it.
  function fetchSection(url, id) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' }, cache: 'no-store' }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.text();
    }).then(function (text) {
      var found = new DOMParser().parseFromString(text, 'text/html').getElementById(id);
      if (!found) throw new Error('no #' + id + ' in the response');
      return document.importNode(found, true);
    });
  }

  function closeActions(status) {
    var actions = document.getElementById('actions');
    if (!actions) return;
    var note = document.createElement('p');
    note.className = 'notice';
    note.textContent = 'This request is now ' + status + '; there is nothing left to decide.';
    var heading = actions.querySelector('h2');
    actions.replaceChildren();
    if (heading) actions.appendChild(heading);
    actions.appendChild(note);
  }

  function watchRequest(state) {
    if (state.dataset.final === 'true' || !('EventSource' in window)) return;
    var source = new EventSource(state.dataset.eventsUrl);
    var busy = false;
    var again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      var current = document.getElementById('state');
      fetchSection(current.dataset.stateUrl, 'state').then(function (next) {
        current.replaceWith(next);
        tick();
        announce(next.dataset.announce);
        if (next.dataset.status !== 'pending') closeActions(next.dataset.status);
        if (next.dataset.final === 'true') source.close();
      }).catch(function () {
        announce('Live updates stopped; reload the page to see the latest state.');
        source.close();
      }).then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }
    EVENT_TYPES.forEach(function (type) { source.addEventListener(type, refresh); });
  }

  function watchList(list) {
    var timer = setInterval(function () {
      fetchSection(list.dataset.refresh, 'requests').then(function (next) {
        var current = document.getElementById('requests');
        if (next.dataset.signature === current.dataset.signature) return;
        var focused = document.activeElement && current.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
        current.replaceWith(next);
        tick();
        if (focused) {
          var same = Array.prototype.find.call(next.querySelectorAll('a[href]'), function (a) { return a.getAttribute('href') === focused; });
          if (same) same.focus();
        }
        if (next.dataset.summary !== current.dataset.summary) announce(next.dataset.summary);
      }).catch(function () {
        clearInterval(timer);
        announce('Live updates stopped; reload the page to see the latest requests.');
      });
    }, LIST_POLL_MS);
  }

  tick();
  setInterval(tick, 1000);
  var state = document.getElementById('state');
  if (state) watchRequest(state);
  var list = document.getElementById('requests');
  if (list) watchList(list);
})();
`;
