// The models table: filters run over all rows in memory; only the rows in view are in the DOM
// (virtual scrolling), so thousands of models stay fast.
import { h, bytes, ms, rate, when } from './dom.js';

const ROW = 34;
const OVERSCAN = 8;
const COLUMNS = [
  { key: 'name', label: 'Model', width: 'minmax(140px, 1.4fr)' },
  { key: 'versions', label: 'Versions', width: '70px' },
  { key: 'state', label: 'State', width: '90px' },
  { key: 'copies', label: 'Copies (where)', width: 'minmax(150px, 1.4fr)' },
  { key: 'predicted_bytes', label: 'Predicted', width: '80px', num: true },
  { key: 'measured_bytes', label: 'Measured', width: '80px', num: true },
  { key: 'rps', label: 'Req/s', width: '60px', num: true },
  { key: 'p50_ms', label: 'p50', width: '64px', num: true },
  { key: 'p99_ms', label: 'p99', width: '64px', num: true },
  { key: 'last_load_ms', label: 'Last load', width: '130px' },
  { key: 'last_error', label: 'Last error', width: 'minmax(100px, 1fr)' },
  { key: 'pinned', label: 'Pinned', width: '60px' },
  { key: 'actions', label: 'Actions', width: '170px' },
];

const t = { all: [], rows: [], sort: 'name', dir: 1, body: null, spacer: null, deps: null, count: null, scheduled: false };

export function renderModels(root, deps) {
  t.deps = deps;
  root.style.setProperty('--cols', COLUMNS.map(c => c.width).join(' '));
  const head = h('div', { class: 'vhead', role: 'row' }, ...COLUMNS.map(c => h('div', { role: 'columnheader',
    'aria-sort': c.key === t.sort ? (t.dir > 0 ? 'ascending' : 'descending') : 'none', 'data-key': c.key },
    c.key === 'actions' || c.key === 'copies' ? c.label : h('button', { type: 'button', onclick: () => sortBy(c.key) }, c.label))));
  t.spacer = h('div', { class: 'vspacer' });
  t.body = h('div', { class: 'vbody', role: 'rowgroup', tabindex: '0', 'aria-label': 'Model rows' }, t.spacer);
  t.body.addEventListener('scroll', schedule);
  window.addEventListener('resize', schedule);
  root.append(head, t.body);
  t.head = head;
  t.count = document.getElementById('model-count');
  for (const id of ['model-search', 'model-state', 'model-pinned']) {
    document.getElementById(id).addEventListener(id === 'model-search' ? 'input' : 'change', () => { filter(); t.body.scrollTop = 0; });
  }
}

export function setModelsData(models) {
  t.all = models;
  filter();
}

function sortBy(key) {
  t.dir = t.sort === key ? -t.dir : 1;
  t.sort = key;
  for (const el of t.head.children) {
    el.setAttribute('aria-sort', el.dataset.key === t.sort ? (t.dir > 0 ? 'ascending' : 'descending') : 'none');
  }
  filter();
}

function stateOf(m) {
  return m.state || 'NONE';
}

function filter() {
  const q = document.getElementById('model-search').value.trim().toLowerCase();
  const st = document.getElementById('model-state').value;
  const pinnedOnly = document.getElementById('model-pinned').checked;
  const rows = t.all.filter(m => {
    if (st && stateOf(m) !== st) return false;
    if (pinnedOnly && !m.pinned) return false;
    if (!q) return true;
    if (m.name.toLowerCase().includes(q)) return true;
    if ((m.last_error || '').toLowerCase().includes(q)) return true;
    return m.copies.some(c => (c.node + '/' + c.device).toLowerCase().includes(q));
  });
  const k = t.sort;
  rows.sort((a, b) => {
    const x = k === 'versions' ? a.versions.length : a[k];
    const y = k === 'versions' ? b.versions.length : b[k];
    if (x === y) return a.name < b.name ? -1 : 1;
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x < y ? -1 : 1) * t.dir;
  });
  t.rows = rows;
  t.count.textContent = `${rows.length} of ${t.all.length} models`;
  t.body.parentElement.setAttribute('aria-rowcount', String(rows.length + 1));
  draw();
}

function schedule() {
  if (t.scheduled) return;
  t.scheduled = true;
  requestAnimationFrame(() => { t.scheduled = false; draw(); });
}

function draw() {
  const body = t.body;
  t.spacer.style.height = (t.rows.length * ROW) + 'px';
  const first = Math.max(0, Math.floor(body.scrollTop / ROW) - OVERSCAN);
  const last = Math.min(t.rows.length, Math.ceil((body.scrollTop + body.clientHeight) / ROW) + OVERSCAN);
  const focusedName = document.activeElement && body.contains(document.activeElement)
    ? document.activeElement.closest('.vrow')?.dataset.model : null;
  const focusedAction = focusedName ? document.activeElement.dataset.action : null;
  const out = [t.spacer];
  for (let i = first; i < last; i++) out.push(row(t.rows[i], i));
  body.replaceChildren(...out);
  if (focusedName) {
    const el = body.querySelector(`.vrow[data-model="${CSS.escape(focusedName)}"] [data-action="${focusedAction}"]`);
    if (el) el.focus();
  }
}

function row(m, i) {
  const enc = encodeURIComponent(m.name);
  const where = m.copies.length
    ? m.copies.map(c => `${c.node}/${c.device}${c.state === 'READY' ? '' : ' (' + c.state + ')'}`).join(', ') : '–';
  const lastLoad = m.last_load_ms !== undefined ? ms(m.last_load_ms) + (m.last_loaded_at_ms ? ', ' + when(m.last_loaded_at_ms).split(' (')[0] : '') : '–';
  const cells = [
    h('div', { role: 'cell', title: m.name }, m.name),
    h('div', { role: 'cell', title: m.versions.join(', ') }, m.versions.join(', ') || '–'),
    h('div', { role: 'cell' }, h('span', { class: 'state st-' + stateOf(m) }, stateOf(m) === 'NONE' ? (m.repo_state || 'not loaded') : stateOf(m))),
    h('div', { role: 'cell', title: where }, `${m.ready_copies}× ${where}`),
    h('div', { role: 'cell', class: 'num' }, bytes(m.predicted_bytes)),
    h('div', { role: 'cell', class: 'num' }, bytes(m.measured_bytes)),
    h('div', { role: 'cell', class: 'num' }, rate(m.rps)),
    h('div', { role: 'cell', class: 'num' }, m.p50_ms === undefined ? '–' : ms(m.p50_ms)),
    h('div', { role: 'cell', class: 'num' }, m.p99_ms === undefined ? '–' : ms(m.p99_ms)),
    h('div', { role: 'cell', title: lastLoad }, lastLoad),
    h('div', { role: 'cell', class: m.last_error ? 'err' : '', title: m.last_error || '' }, m.last_error || '–'),
    h('div', { role: 'cell' }, m.pinned ? 'yes' + (m.pinned_by === 'config' ? ' (config)' : '') : 'no'),
    h('div', { role: 'cell', class: 'acts' },
      h('button', { type: 'button', 'data-action': 'load', 'aria-label': 'Load model ' + m.name,
        onclick: () => t.deps.action('Load ' + m.name, 'POST', '/api/v1/models/' + enc + '/load') }, 'Load'),
      h('button', { type: 'button', 'data-action': 'unload', 'aria-label': 'Unload model ' + m.name, disabled: !m.copies.length,
        onclick: () => t.deps.action('Unload ' + m.name, 'POST', '/api/v1/models/' + enc + '/unload') }, 'Unload'),
      h('button', { type: 'button', 'data-action': 'pin', 'aria-label': (m.pinned_by === 'admin' ? 'Unpin model ' : 'Pin model ') + m.name,
        disabled: m.pinned_by === 'config',
        onclick: () => t.deps.action((m.pinned_by === 'admin' ? 'Unpin ' : 'Pin ') + m.name, 'POST',
          '/api/v1/models/' + enc + (m.pinned_by === 'admin' ? '/unpin' : '/pin')) }, m.pinned_by === 'admin' ? 'Unpin' : 'Pin')),
  ];
  return h('div', { class: 'vrow', role: 'row', 'aria-rowindex': String(i + 2), 'data-model': m.name, style: { top: (i * ROW) + 'px' } }, ...cells);
}
