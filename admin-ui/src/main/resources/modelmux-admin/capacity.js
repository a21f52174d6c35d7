// The capacity view: GET /api/v1/capacity as a cluster summary and one row per model (advice on
// copies and memory). Read-only; the page refetches while the view is open.
import { h, bytes, rate } from './dom.js';

const REFRESH_MS = 10000;
const STATUS = { under_provisioned: 'under-provisioned', over_provisioned: 'over-provisioned', ok: 'ok' };
const c = { deps: null, timer: 0, data: null };

export function initCapacity(deps) {
  c.deps = deps;
  for (const id of ['cap-utilization', 'cap-window', 'cap-filter']) {
    document.getElementById(id).addEventListener('change', () => (id === 'cap-filter' ? render() : refreshCapacity()));
  }
  document.getElementById('cap-search').addEventListener('input', render);
  document.getElementById('cap-refresh').addEventListener('click', () => refreshCapacity());
}

/** Fetches the advice now and, while the view stays open, every few seconds. */
export async function refreshCapacity() {
  clearTimeout(c.timer);
  if (document.getElementById('app').hidden) return;
  const meta = document.getElementById('cap-meta');
  const u = document.getElementById('cap-utilization').value.trim();
  const w = document.getElementById('cap-window').value;
  const q = new URLSearchParams();
  if (u) q.set('target_utilization', u);
  if (w) q.set('window', w);
  try {
    c.data = await c.deps.api('GET', '/api/v1/capacity?' + q.toString());
    meta.textContent = '';
    meta.classList.remove('error');
  } catch (e) {
    if (e.message === 'unauthenticated') return;
    meta.textContent = 'Capacity advice could not be read: ' + e.message;
    meta.classList.add('error');
  }
  render();
  const open = !document.getElementById('app').hidden && !document.getElementById('view-capacity').hidden;
  if (open) c.timer = setTimeout(refreshCapacity, REFRESH_MS);
}

export function stopCapacity() {
  clearTimeout(c.timer);
}

function render() {
  const d = c.data;
  const summary = document.getElementById('cap-summary');
  const body = document.getElementById('cap-body');
  if (!d) { summary.replaceChildren(); body.replaceChildren(h('div', { class: 'emptystate' }, 'No advice yet.')); return; }
  const cl = d.cluster;
  summary.replaceChildren(h('dl', { class: 'kv cap-summary', 'aria-label': 'Cluster capacity' },
    h('dt', {}, 'Cluster'), h('dd', {}, badge(cl.status)),
    h('dt', {}, 'Nodes'), h('dd', {}, `${cl.nodes} serving · ${cl.nodes_needed} needed (incl. 1 for failover)`),
    h('dt', {}, 'Memory'), h('dd', {}, `${bytes(cl.required_memory_bytes)} required · ${bytes(cl.used_bytes)} used · ${bytes(cl.capacity_bytes)} capacity (${bytes(cl.per_node_capacity_bytes)} per node)`),
    h('dt', {}, 'Under-provisioned'), h('dd', {}, cl.under_provisioned.length ? cl.under_provisioned.join(', ') : 'none'),
    h('dt', {}, 'Over-provisioned'), h('dd', {}, cl.over_provisioned.length ? cl.over_provisioned.join(', ') : 'none'),
    h('dt', {}, 'Figures'), h('dd', { class: 'muted' }, `peak over ${Math.round(d.parameters.window_seconds / 60)} min (${Math.round(d.window_covered_seconds)} s covered) at ${Math.round(d.parameters.target_utilization * 100)}% target utilization, as seen by node ${d.node}`)));
  const q = document.getElementById('cap-search').value.trim().toLowerCase();
  const only = document.getElementById('cap-filter').value;
  const rows = d.models.filter(m => (!q || m.model.toLowerCase().includes(q)) && (!only || m.status === only
    || (only === 'active' && (m.peak_qps > 0 || m.current_copies > 0 || m.required_copies > 0))));
  document.getElementById('cap-count').textContent = `${rows.length} of ${d.models.length} models`;
  if (!rows.length) { body.replaceChildren(h('div', { class: 'emptystate' }, 'No model matches.')); return; }
  const num = v => h('td', { class: 'num' }, v);
  body.replaceChildren(h('table', { class: 'plain', id: 'cap-table' },
    h('caption', { class: 'muted' }, 'Copies each model needs: ceil(peak req/s × p99 / target utilization), plus a spare for slow loads and enough to lose a node'),
    h('thead', {}, h('tr', {}, ...['Model', 'Status', 'Peak req/s', 'Now req/s', 'p99', 'Load', 'Copies now', 'Required',
      'Base + load + failover', 'Per copy', 'Memory required'].map(x => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows.map(m => h('tr', { 'data-model': m.model, 'data-status': m.status, title: m.note || '' },
      h('th', { scope: 'row' }, m.model), h('td', {}, badge(m.status)),
      num(rate(m.peak_qps)), num(rate(m.current_qps)),
      num(m.p99_inference_seconds === null ? '–' : secs(m.p99_inference_seconds)),
      num(m.load_seconds === null ? '–' : secs(m.load_seconds)),
      num(m.current_copies), num(m.required_copies),
      num(`${m.copies.base} + ${m.copies.load_headroom} + ${m.copies.failover_headroom}` + (m.copies.floor ? ` (floor ${m.copies.floor})` : '')),
      num(bytes(m.bytes_per_copy) + (m.fits_on_a_device ? '' : ' (fits no device)')), num(bytes(m.required_memory_bytes)))))));
}

function badge(status) {
  return h('span', { class: 'cap cap-' + status }, STATUS[status] || status);
}

function secs(s) {
  return s < 1 ? (s * 1000).toFixed(s < 0.01 ? 2 : 1) + ' ms' : s.toFixed(1) + ' s';
}
