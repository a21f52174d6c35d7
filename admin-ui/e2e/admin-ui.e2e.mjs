// End-to-end check of the admin UI in a real headless Chromium (Debian's), driven by playwright-core.
// Run by mesh-node's AdminUiBrowserTest against a live two-node mesh; every input comes from env:
//   BASE_URL (node A's HTTP root), TRAFFIC_URL (node B's HTTP root), ADMIN_TOKEN, MODEL, NODES (comma-separated),
//   SCREENSHOT (PNG path for the cluster map), CAPACITY_SCREENSHOT (PNG path for the capacity view),
//   CHROMIUM (browser executable).
import { chromium } from 'playwright-core';

const env = name => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
};
const BASE = env('BASE_URL');
const TRAFFIC = env('TRAFFIC_URL');
const TOKEN = env('ADMIN_TOKEN');
const MODEL = env('MODEL');
const NODES = env('NODES').split(',');
const SHOT = env('SCREENSHOT');
const CAPACITY_SHOT = env('CAPACITY_SCREENSHOT');
const TIMEOUT = 30_000;

const step = text => console.log(`[e2e] ${text}`);
function check(cond, text) {
  if (!cond) throw new Error('check failed: ' + text);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-dev-shm-usage'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const foreign = [];
  const leaked = [];
  page.on('request', r => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith('data:')) foreign.push(r.url());
    if (r.url().includes(TOKEN)) leaked.push(r.url());
  });
  const consoleErrors = [];
  page.on('pageerror', e => consoleErrors.push(String(e)));

  step('open /admin: the login form, and a wrong token is refused');
  await page.goto(BASE + '/admin');
  await page.getByLabel('Admin token').fill('not-the-admin-token-0000');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('That admin token was refused.').waitFor();
  check(await page.locator('#app').isHidden(), 'the app stays hidden after a wrong token');

  step('log in with the admin token');
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#view-cluster').waitFor({ state: 'visible' });
  await page.locator('#live[data-state="on"]').waitFor();

  step('both nodes and their devices are on the map');
  for (const n of NODES) {
    await page.locator(`article[data-node="${n}"] section[data-device]`).first().waitFor();
    const bar = page.locator(`article[data-node="${n}"] .membar`).first();
    check((await bar.getAttribute('aria-label')).includes('free'), `memory bar of ${n} is labelled`);
  }

  step(`send traffic to ${MODEL} and watch it become READY without reloading`);
  const navigations = [];
  page.on('framenavigated', f => { if (f === page.mainFrame()) navigations.push(f.url()); });
  const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 16],
    data: Array.from({ length: 16 }, (_, i) => i / 16) }] });
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${TRAFFIC}/v2/models/${MODEL}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    check(r.ok, `inference call ${i} answered ${r.status}`);
  }
  const block = page.locator(`.block[data-model="${MODEL}"][data-state="READY"]`);
  await block.first().waitFor();
  check(navigations.length === 0, 'the page was not reloaded');

  step('details on hover, then save the cluster map');
  await block.first().hover();
  await page.locator('#details-body').getByText(MODEL, { exact: true }).waitFor();
  await page.locator('#view-cluster').screenshot({ path: SHOT });

  step('keyboard: the block is reachable with Tab and selects with Enter');
  await block.first().focus();
  await page.keyboard.press('Enter');
  await page.locator(`.block.selected[data-model="${MODEL}"]`).waitFor();

  step(`unload ${MODEL} from the UI and see it go`);
  await page.getByRole('button', { name: `Unload model ${MODEL} everywhere` }).click();
  await page.locator(`.block[data-model="${MODEL}"]`).first().waitFor({ state: 'detached' });

  step('events view lists the load, the unload request (by admin) and the unload');
  await page.getByRole('link', { name: 'Events' }).click();
  await page.locator('#events-list li[data-kind="LOADED"]').first().waitFor();
  await page.locator('#events-list li[data-kind="UNLOAD_REQUESTED"]').first().waitFor();
  await page.locator('#events-list li[data-kind="UNLOADED"]').first().waitFor();

  step('tenants view: a table, or an empty state while the tenants API is absent');
  await page.getByRole('link', { name: 'Tenants' }).click();
  await page.locator('#tenants-body table, #tenants-body .emptystate').first().waitFor();

  step(`capacity view: the cluster summary and ${MODEL}'s advice, re-read when a control changes`);
  await page.getByRole('link', { name: 'Capacity' }).click();
  await page.locator('#cap-summary dl[aria-label="Cluster capacity"]').waitFor();
  const capRow = page.locator(`#cap-table tr[data-model="${MODEL}"]`);
  await capRow.waitFor();
  check(['ok', 'under_provisioned', 'over_provisioned'].includes(await capRow.getAttribute('data-status')),
    `${MODEL} has a capacity status`);
  check((await capRow.locator('th').textContent()) === MODEL, 'the row is headed by the model name');
  await page.locator('#view-capacity').screenshot({ path: CAPACITY_SHOT });
  await page.getByLabel('Peak over').selectOption('5m');
  await page.locator('#cap-summary').getByText('peak over 5 min', { exact: false }).waitFor();
  await page.getByLabel('Show').selectOption('over_provisioned');
  await page.locator('#cap-count').getByText(/of \d+ models/).waitFor();
  await page.getByLabel('Show').selectOption('');
  await capRow.waitFor();

  step('models view at 1920x1080 with 1,500 synthetic models: virtual rows, fast filtering');
  await page.setViewportSize({ width: 1920, height: 1080 });
  const synthetic = Array.from({ length: 1500 }, (_, i) => ({
    name: 'model-' + String(i).padStart(5, '0'), versions: ['1'], copies: i % 3 ? [] : [{ node: NODES[i % NODES.length], device: 'cpu0', version: 1, state: 'READY', bytes: 1 << 20 }],
    ready_copies: i % 3 ? 0 : 1, state: i % 3 ? undefined : 'READY', rps: i % 7, pinned: i % 50 === 0, pinned_by: i % 50 === 0 ? 'admin' : undefined,
    predicted_bytes: 1 << 20, measured_bytes: 3 << 20, p50_ms: 1.5, p99_ms: 9.5, last_load_ms: 12, repo_state: 'READY' }));
  await page.route('**/api/v1/models', route => route.fulfill({ contentType: 'application/json',
    body: JSON.stringify({ node: NODES[0], models: synthetic }) }));
  await page.getByRole('link', { name: 'Models' }).click();
  await page.getByText('1500 of 1500 models').waitFor();
  const rendered = await page.locator('#models-table .vrow').count();
  check(rendered > 10 && rendered < 120, `only visible rows are in the DOM (${rendered})`);
  await page.locator('#model-search').fill('model-01234');
  await page.getByText('1 of 1500 models').waitFor();
  await page.locator('#model-search').fill('');
  await page.getByLabel('State', { exact: true }).selectOption('READY');
  await page.getByText('500 of 1500 models').waitFor();
  await page.locator('#models-table .vbody').evaluate(el => { el.scrollTop = el.scrollHeight; });
  await page.locator('.vrow[data-model="model-01497"]').waitFor();
  await page.unroute('**/api/v1/models');

  step('log out: the views are gone and the data endpoints need the token again');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Admin token').waitFor();
  const anonymous = await fetch(`${BASE}/api/v1/models`);
  check(anonymous.status === 401, 'the models endpoint refuses a missing token');
  check((await fetch(`${BASE}/api/v1/capacity`)).status === 401, 'the capacity endpoint refuses a missing token');

  check(foreign.length === 0, 'no request left the node: ' + foreign.join(', '));
  check(leaked.length === 0, 'the token never appears in a URL');
  check(consoleErrors.length === 0, 'no script error: ' + consoleErrors.join('; '));
  step('all checks passed');
} catch (e) {
  failed = true;
  console.error('[e2e] FAILED: ' + (e && e.stack ? e.stack : e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
