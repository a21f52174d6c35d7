// modelmux admin UI: plain ES module, no build step, same-origin calls to /api/v1 only.
// The admin token lives in sessionStorage and travels only in the Authorization header.
import { h, bytes, ms, rate, when, clear } from './dom.js';
import { renderModels, setModelsData } from './models.js';
import { initCapacity, refreshCapacity, stopCapacity } from './capacity.js';

const TOKEN_KEY = 'modelmux.admin.token';
const state = { token: sessionStorage.getItem(TOKEN_KEY) || '', cluster: null, models: [], modelsByName: new Map(),
  events: [], lastSeq: -1, view: 'cluster', selected: null, stream: null, modelsTimer: 0, modelsStale: true };

// ------------------------------------------------------------------ API

export async function api(method, path, body) {
  const res = await fetch(path, { method, headers: Object.assign({ authorization: 'Bearer ' + state.token },
    body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) {
    logout('The admin token was refused; log in again.');
    throw new Error('unauthenticated');
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const err = new Error(json.error || ('HTTP ' + res.status));
    err.status = res.status;
    throw err;
  }
  return json;
}

export async function action(label, method, path, body) {
  try {
    await api(method, path, body);
    toast(label + ': done');
  } catch (e) {
    if (e.message !== 'unauthenticated') toast(label + ' failed: ' + e.message, true);
  }
}

let toastTimer = 0;
function toast(text, bad) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.toggle('bad', !!bad);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

// ------------------------------------------------------------------ login

async function login(token) {
  const res = await fetch('/api/v1/cluster', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
  if (res.status === 401) return false;
  if (!res.ok) throw new Error('HTTP ' + res.status);
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  state.cluster = await res.json();
  return true;
}

function logout(message) {
  state.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.stream) state.stream.abort();
  state.stream = null;
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message || '';
  document.getElementById('token').value = '';
  document.getElementById('token').focus();
}

async function enter() {
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  document.getElementById('whoami').textContent = state.cluster ? 'node ' + state.cluster.node : '';
  route();
  connect();
  refreshEvents();
}

// ------------------------------------------------------------------ live stream (fetch + SSE framing)

function setLive(on) {
  const el = document.getElementById('live');
  el.dataset.state = on ? 'on' : 'off';
  el.textContent = on ? 'live' : 'reconnecting…';
}

async function connect() {
  const ctrl = new AbortController();
  state.stream = ctrl;
  let backoff = 500;
  while (state.stream === ctrl && state.token) {
    try {
      const res = await fetch('/api/v1/stream', { headers: { authorization: 'Bearer ' + state.token,
        accept: 'text/event-stream' }, signal: ctrl.signal, cache: 'no-store' });
      if (res.status === 401) { logout('The admin token was refused; log in again.'); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      setLive(true);
      backoff = 500;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          dispatch(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (ctrl.signal.aborted) return;
    }
    setLive(false);
    await new Promise(r => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 5000);
  }
}

function dispatch(frame) {
  let event = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join('\n'));
  if (event === 'cluster') {
    // Nodes republish every second; redraw only when something visible changed.
    const key = JSON.stringify(payload, (k, v) => (k === 'updated_at_ms' ? undefined : v));
    state.cluster = payload;
    if (key === state.clusterKey) return;
    state.clusterKey = key;
    if (state.view === 'cluster') renderCluster();
    modelsChanged();
  } else if (event === 'timeline') {
    addEvents([payload]);
    modelsChanged();
  } else if (event === 'models') {
    modelsChanged();
  }
}

// ------------------------------------------------------------------ routing

const VIEWS = ['cluster', 'models', 'tenants', 'capacity', 'events'];

function route() {
  const v = location.hash.replace('#', '');
  state.view = VIEWS.includes(v) ? v : 'cluster';
  for (const name of VIEWS) {
    document.getElementById('view-' + name).hidden = name !== state.view;
  }
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (state.view === 'cluster') { state.detailsKey = null; renderCluster(); }
  if (state.view === 'models') { state.modelsStale = true; refreshModels(); }
  if (state.view === 'tenants') refreshTenants();
  if (state.view === 'capacity') refreshCapacity(); else stopCapacity();
  if (state.view === 'events') renderEvents();
}

// ------------------------------------------------------------------ cluster map

function copiesByDevice() {
  const out = new Map();
  for (const m of (state.cluster && state.cluster.models) || []) {
    for (const c of m.copies) {
      const k = c.node + '/' + c.device;
      if (!out.has(k)) out.set(k, []);
      out.get(k).push(Object.assign({ model: m.model, version: m.version }, c));
    }
  }
  return out;
}

function renderCluster() {
  const root = document.getElementById('nodes');
  const c = state.cluster;
  if (!c) return;
  const byDevice = copiesByDevice();
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
  clear(root);
  if (!c.nodes.length) root.append(h('p', { class: 'emptystate' }, 'No node has published its record yet.'));
  for (const n of c.nodes) {
    const draining = !!n.draining;
    const card = h('article', { class: 'node' + (draining ? ' draining' : ''), 'data-node': n.id, 'aria-label': 'Node ' + n.id },
      h('div', { class: 'node-head' },
        h('h3', {}, n.id),
        h('span', { class: 'badge' }, n.grpc),
        n.id === c.node ? h('span', { class: 'badge' }, 'this node') : null,
        draining ? h('span', { class: 'badge warn' }, 'draining') : null,
        h('span', { class: 'actions' },
          h('button', { type: 'button', 'aria-label': (draining ? 'Undrain node ' : 'Drain node ') + n.id,
            onclick: () => confirmDrain(n.id, !draining) }, draining ? 'Undrain' : 'Drain'))));
    for (const d of n.devices) {
      const cap = Math.max(1, d.capacity_bytes);
      const pct = x => Math.max(0, Math.min(100, 100 * x / cap)) + '%';
      const bar = h('div', { class: 'membar', role: 'img', 'aria-label': `Memory of ${n.id}/${d.id}: used ${bytes(d.used_bytes)}, reserved ${bytes(d.reserved_bytes)}, free ${bytes(d.free_bytes)} of ${bytes(d.capacity_bytes)}` },
        h('span', { class: 'mem-used', style: { width: pct(d.used_bytes) } }),
        h('span', { class: 'mem-reserved', style: { width: pct(d.reserved_bytes) } }));
      const copies = (byDevice.get(n.id + '/' + d.id) || []).sort((a, b) => b.bytes - a.bytes);
      const blocks = h('div', { class: 'blocks', role: 'list', 'aria-label': 'Models on ' + n.id + '/' + d.id });
      for (const cp of copies) {
        const key = cp.model + ':' + cp.version + '@' + cp.node + '/' + cp.device;
        const pinned = state.modelsByName.has(cp.model) && state.modelsByName.get(cp.model).pinned;
        const label = `${cp.model} v${cp.version} ${cp.state}, ${bytes(cp.bytes)}` + (pinned ? ', pinned' : '');
        const b = h('button', { type: 'button', role: 'listitem',
          class: 'block st-' + cp.state + (pinned ? ' pinned' : '') + (state.selected === key ? ' selected' : ''),
          'data-model': cp.model, 'data-state': cp.state, 'data-key': key, title: label, 'aria-label': label,
          style: { width: Math.max(22, Math.round(360 * cp.bytes / cap)) + 'px' },
          onclick: () => select(cp, key), onmouseenter: () => showCopy(cp), onfocus: () => showCopy(cp) }, cp.model);
        blocks.append(b);
      }
      if (!copies.length) blocks.append(h('span', { class: 'empty' }, 'no models'));
      card.append(h('section', { class: 'device', 'data-device': d.id, 'aria-label': 'Device ' + d.id },
        h('div', { class: 'device-head' }, h('span', {}, `${d.id} · ${d.kind}`),
          h('span', {}, `${bytes(d.used_bytes)} used · ${bytes(d.reserved_bytes)} reserved · ${bytes(d.free_bytes)} free / ${bytes(d.capacity_bytes)}`)),
        bar, blocks));
    }
    root.append(card);
  }
  if (focused) {
    const again = root.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  if (state.selected) {
    const still = [...byDevice.values()].flat().find(cp => cp.model + ':' + cp.version + '@' + cp.node + '/' + cp.device === state.selected);
    if (still) showCopy(still);
    else { state.detailsKey = null; document.getElementById('details-body').replaceChildren(h('p', { class: 'muted' }, 'That copy is gone.')); }
  }
}

function select(cp, key) {
  state.selected = state.selected === key ? null : key;
  for (const el of document.querySelectorAll('.block.selected')) el.classList.remove('selected');
  if (state.selected) {
    const el = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) el.classList.add('selected');
  }
  showCopy(cp);
}

function showCopy(cp) {
  const m = state.modelsByName.get(cp.model);
  const pinned = m ? m.pinned : false;
  const key = JSON.stringify([cp, pinned, m && m.pinned_by]);
  if (key === state.detailsKey && document.getElementById('details-body').firstChild) return;
  state.detailsKey = key;
  const body = h('div', {},
    h('dl', { class: 'kv' },
      h('dt', {}, 'Model'), h('dd', {}, cp.model), h('dt', {}, 'Version'), h('dd', {}, String(cp.version)),
      h('dt', {}, 'Where'), h('dd', {}, cp.node + ' / ' + cp.device),
      h('dt', {}, 'State'), h('dd', {}, h('span', { class: 'state st-' + cp.state }, cp.state)),
      h('dt', {}, 'Footprint'), h('dd', {}, bytes(cp.bytes)),
      h('dt', {}, 'Requests/s'), h('dd', {}, rate(cp.request_rate)),
      h('dt', {}, 'Since'), h('dd', {}, when(cp.since_ms)),
      h('dt', {}, 'Last used'), h('dd', {}, when(cp.last_used_ms)),
      cp.reason ? h('dt', {}, 'Reason') : null, cp.reason ? h('dd', { class: 'error' }, cp.reason) : null,
      h('dt', {}, 'Pinned'), h('dd', {}, m ? (pinned ? 'yes' + (m.pinned_by ? ' (' + m.pinned_by + ')' : '') : 'no') : '–')),
    h('div', { class: 'btnrow' },
      h('button', { type: 'button', class: 'danger', 'aria-label': 'Unload model ' + cp.model + ' everywhere',
        onclick: () => action('Unload ' + cp.model, 'POST', '/api/v1/models/' + encodeURIComponent(cp.model) + '/unload') }, 'Unload everywhere'),
      h('button', { type: 'button', 'aria-label': 'Unload model ' + cp.model + ' from ' + cp.node,
        onclick: () => action('Unload ' + cp.model + ' from ' + cp.node, 'POST', '/api/v1/models/' + encodeURIComponent(cp.model) + '/unload', { node: cp.node }) }, 'Unload here'),
      h('button', { type: 'button', 'aria-label': (pinned ? 'Unpin model ' : 'Pin model ') + cp.model,
        onclick: () => action((pinned ? 'Unpin ' : 'Pin ') + cp.model, 'POST', '/api/v1/models/' + encodeURIComponent(cp.model) + (pinned ? '/unpin' : '/pin')) }, pinned ? 'Unpin' : 'Pin')));
  document.getElementById('details-body').replaceChildren(body);
}

function confirmDrain(node, drain) {
  const verb = drain ? 'drain' : 'undrain';
  if (drain && !window.confirm(`Drain ${node}? Its copies move to other nodes and it takes no new ones until undrained.`)) return;
  action(verb + ' ' + node, 'POST', '/api/v1/nodes/' + encodeURIComponent(node) + '/' + verb);
}

// ------------------------------------------------------------------ models

function modelsChanged() {
  state.modelsStale = true;
  if (state.modelsTimer) return;
  // At most one refetch a second, however many changes arrive.
  state.modelsTimer = setTimeout(() => { state.modelsTimer = 0; refreshModels(); }, 1000);
}

async function refreshModels() {
  if (!state.modelsStale || !state.token) return;
  state.modelsStale = false;
  try {
    const data = await api('GET', '/api/v1/models');
    state.models = data.models;
    state.modelsByName = new Map(data.models.map(m => [m.name, m]));
    if (state.view === 'models') setModelsData(state.models);
    if (state.view === 'cluster') renderCluster(); // pins show on the blocks
  } catch (e) {
    if (e.message !== 'unauthenticated') toast('Models: ' + e.message, true);
  }
}

// ------------------------------------------------------------------ tenants

async function refreshTenants() {
  const body = document.getElementById('tenants-body');
  const meta = document.getElementById('tenants-meta');
  let data;
  try {
    data = await api('GET', '/api/v1/tenants');
  } catch (e) {
    if (e.message === 'unauthenticated') return;
    meta.textContent = '';
    body.replaceChildren(h('div', { class: 'emptystate' }, e.status === 404
      ? 'This node has no tenants admin API yet; tenants are enforced from its --tenants file (or the open default tenant).'
      : 'Tenants could not be read: ' + e.message));
    return;
  }
  meta.textContent = `policy version ${data.policy_version ?? '–'} · source ${data.source ?? '–'} · ${data.nodes ?? '–'} nodes`;
  const tenants = data.tenants || [];
  if (!tenants.length) { body.replaceChildren(h('div', { class: 'emptystate' }, 'No tenants.')); return; }
  const dash = v => (v === undefined || v === null ? '–' : v);
  const rows = tenants.map(t => {
    const u = t.usage || {};
    const rejected = u.rejected || {};
    const total = Object.values(rejected).reduce((a, b) => a + b, 0);
    const cap = t.max_in_flight || 0;
    const used = u.in_flight || 0;
    return h('tr', {},
      h('th', { scope: 'row' }, t.id), h('td', {}, dash(t.priority)), h('td', { class: 'num' }, dash(t.weight)),
      h('td', {}, (t.models || []).join(', ') || '*'),
      h('td', { class: 'num' }, t.rate ? `${t.rate}/s (${rate(t.rate_per_node)}/s here)` : 'unlimited'),
      h('td', {}, h('span', { class: 'quota', role: 'img', 'aria-label': `${used} of ${cap} in flight` },
        h('span', { style: { width: (cap ? Math.min(100, 100 * used / cap) : 0) + '%' } })), `${used} / ${cap || '∞'}`),
      h('td', { class: 'num' }, dash(u.admitted)),
      h('td', {}, total ? Object.entries(rejected).map(([k, v]) => `${k}: ${v}`).join(', ') : '0'),
      h('td', { class: 'num' }, u.p99_ms === undefined ? '–' : ms(u.p99_ms)),
      h('td', { class: 'num' }, u.queue_wait_p99_ms === undefined ? '–' : ms(u.queue_wait_p99_ms)),
      h('td', { class: 'num' }, dash(t.keys)));
  });
  body.replaceChildren(h('table', { class: 'plain' },
    h('caption', { class: 'muted' }, 'Usage as seen by this node'),
    h('thead', {}, h('tr', {}, ...['Tenant', 'Priority', 'Weight', 'Models', 'Rate quota', 'In flight', 'Admitted',
      'Rejected by reason', 'p99', 'Queue wait p99', 'Keys'].map(x => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows)));
}

// ------------------------------------------------------------------ events

async function refreshEvents() {
  try {
    const data = await api('GET', '/api/v1/events?limit=500');
    addEvents(data.events);
  } catch (e) { /* shown by the stream state */ }
}

function addEvents(list) {
  let added = false;
  for (const e of list) {
    if (e.seq > state.lastSeq) { state.events.push(e); state.lastSeq = e.seq; added = true; }
  }
  if (state.events.length > 2000) state.events.splice(0, state.events.length - 2000);
  if (added) {
    const kinds = document.getElementById('event-kind');
    const known = new Set([...kinds.options].map(o => o.value));
    for (const e of list) if (!known.has(e.kind)) { kinds.append(h('option', {}, e.kind)); known.add(e.kind); }
    if (state.view === 'events') renderEvents();
  }
}

function renderEvents() {
  const q = document.getElementById('event-search').value.trim().toLowerCase();
  const kind = document.getElementById('event-kind').value;
  const list = document.getElementById('events-list');
  const out = [];
  for (let i = state.events.length - 1; i >= 0 && out.length < 500; i--) {
    const e = state.events[i];
    if (kind && e.kind !== kind) continue;
    const text = [e.kind, e.node, e.device, e.model, e.actor, e.detail].join(' ').toLowerCase();
    if (q && !text.includes(q)) continue;
    const what = e.model ? `${e.model}${e.version ? ' v' + e.version : ''}` : '';
    const extra = [e.device ? 'on ' + e.node + '/' + e.device : (e.model ? 'on ' + e.node : ''),
      e.bytes ? bytes(e.bytes) : '', e.millis ? ms(e.millis) : '', e.actor === 'admin' ? 'by admin' : '', e.detail].filter(Boolean).join(' · ');
    out.push(h('li', { 'data-kind': e.kind },
      h('time', { datetime: new Date(e.at_ms).toISOString() }, new Date(e.at_ms).toLocaleString()),
      h('span', { class: 'kind k-' + e.kind }, e.kind), h('span', {}, e.model ? what : e.node),
      h('span', { class: e.kind === 'LOAD_FAILED' ? 'error' : '' }, e.model ? extra : extra || '')));
  }
  if (!out.length) out.push(h('li', { class: 'empty' }, 'No events yet.'));
  list.replaceChildren(...out);
}

// ------------------------------------------------------------------ start

document.addEventListener('DOMContentLoaded', async () => {
  window.addEventListener('hashchange', route);
  document.getElementById('logout').addEventListener('click', () => logout(''));
  document.getElementById('event-search').addEventListener('input', renderEvents);
  document.getElementById('event-kind').addEventListener('change', renderEvents);
  renderModels(document.getElementById('models-table'), { api, action });
  initCapacity({ api });
  document.getElementById('login-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const token = document.getElementById('token').value.trim();
    const err = document.getElementById('login-error');
    err.textContent = '';
    if (!token) { err.textContent = 'Enter the admin token.'; return; }
    try {
      if (await login(token)) enter(); else err.textContent = 'That admin token was refused.';
    } catch (e) {
      err.textContent = 'The node could not be reached: ' + e.message;
    }
  });
  if (state.token) {
    try {
      if (await login(state.token)) { enter(); return; }
    } catch (e) { /* fall through to the login form */ }
  }
  logout('');
});
