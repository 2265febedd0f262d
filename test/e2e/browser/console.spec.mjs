// The web console in a real browser (Debian's Chromium through
// playwright-core). Run by test/e2e/console_browser_test.go, which starts
// `natsgw serve`, seeds data through the Go SDK and performs the writes
// this spec asks for: "STEP <name>" on stdout, "OK" or "FAIL <why>" back
// on stdin. Every page is screenshotted into $SHOTS. Any error in a page
// (an exception, a console error other than an expected HTTP status, a 5xx
// answer) fails the run.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const { CONSOLE_URL: base, TOKEN_ACME, TOKEN_OTHER, SHOTS, CHROMIUM } = process.env;
const WAIT = 15000;

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function step(name) {
  console.log(`STEP ${name}`);
  const { value } = await lines.next();
  if (value !== 'OK') throw new Error(`step ${name}: ${value}`);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
const problems = [];
const pages = [];
// expected4xx says which non-2xx answers a step expects (a gap in a
// stream's sequences, another org's missing stream).
let expected4xx = () => false;

async function newPage(name) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  pages.push([name, page]);
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`${name}: console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    const s = r.status();
    if (s >= 500 || (s >= 400 && !expected4xx(r.url(), s))) problems.push(`${name}: ${s} from ${r.url()}`);
  });
  page.on('dialog', (d) => d.accept()); // every destructive action asks; the test says yes
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function login(page, token) {
  await page.goto(base + '/');
  await page.locator('input[name=token]').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('org').waitFor();
}

async function nav(page, label) {
  await page.locator('nav').getByRole('link', { name: label, exact: true }).click();
}

try {
  // ---- acme: everything it created is there ----
  const page = await newPage('acme');
  await page.goto(base + '/');
  await page.locator('input[name=token]').waitFor();
  await shot(page, '01-login');
  await login(page, TOKEN_ACME);
  check(await page.getByTestId('org').innerText() === 'acme', 'logged in as acme');
  await page.getByTestId('health').waitFor();
  const streams = page.locator('.card', { hasText: 'Streams' }).locator('.value');
  await streams.waitFor();
  check(Number(await streams.innerText()) >= 1, 'the overview counts the stream');
  await shot(page, '02-overview');

  await nav(page, 'Streams');
  await page.getByRole('link', { name: 'ORDERS' }).click();
  await page.getByTestId('consumer-billing').waitFor();
  expected4xx = (url, s) => s === 404 && url.includes('GetStreamMessage'); // the dead letter's gap is fine
  await page.getByTestId('msg-1').click();
  await page.locator('pre.data', { hasText: '"item": "book"' }).waitFor();
  await page.locator('table.kv', { hasText: 'Source' }).waitFor();
  await shot(page, '03-stream');
  expected4xx = () => false;
  const billing = page.getByTestId('consumer-billing');
  await billing.getByRole('button', { name: 'Pause 1 h…' }).click();
  await billing.getByText('paused until').waitFor();
  await step('check-paused');
  await billing.getByRole('button', { name: 'Resume' }).click();
  await billing.getByRole('button', { name: 'Pause 1 h…' }).waitFor();

  await nav(page, 'Key-value');
  await page.getByRole('link', { name: 'cfg' }).click();
  await page.getByRole('button', { name: 'db.host' }).click();
  await page.locator('pre.data', { hasText: 'localhost' }).waitFor();
  await page.getByRole('button', { name: 'Watch' }).click();
  await page.getByText('Watching for changes').waitFor();
  await step('kv-put');
  await page.getByTestId('kv-watch').getByText('db.port').waitFor();
  await page.getByTestId('kv-watch').getByText('5432').waitFor();
  await shot(page, '04-kv');
  await page.getByRole('button', { name: 'Stop watching' }).click();

  await nav(page, 'Live tail');
  await page.locator('input[name=subject]').fill('events.>');
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByRole('status').getByText('Listening on').waitFor();
  await step('publish');
  await page.getByTestId('tail').getByText('hello-tail').waitFor();
  await page.getByTestId('tail').getByText('events.user.login').waitFor();
  await shot(page, '05-tail');
  await page.getByRole('button', { name: 'Stop' }).click();

  await nav(page, 'Objects');
  await page.getByRole('link', { name: 'docs' }).click();
  await page.getByText('readme.txt').waitFor();
  const data = randomBytes(2 * 1024 * 1024 + 17);
  const sha = createHash('sha256').update(data).digest('hex');
  await page.locator('input[type=file]').setInputFiles({ name: 'upload.bin', mimeType: 'application/octet-stream', buffer: data });
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByRole('status').getByText('Stored upload.bin').waitFor();
  await page.locator('td', { hasText: 'upload.bin' }).click();
  check(await page.getByTestId('obj-sha256').innerText() === sha, 'the page shows the uploaded SHA-256');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
  const got = await readFile(await download.path());
  check(createHash('sha256').update(got).digest('hex') === sha, 'the download has the uploaded bytes');
  await shot(page, '06-objects');

  await nav(page, 'Dead letters');
  await page.getByRole('link', { name: '_dlq_ORDERS' }).click();
  const dead = page.getByTestId('dlq-1');
  await dead.getByText('card declined').waitFor();
  await shot(page, '07-dead-letters');
  await dead.getByRole('button', { name: 'Replay…' }).click();
  await page.getByRole('status').getByText('Replayed to ORDERS').waitFor();
  await step('check-replay');
  await shot(page, '08-replayed');

  await nav(page, 'Tasks');
  const queue = page.getByTestId('queue-emails');
  await queue.waitFor();
  await queue.click();
  await page.getByTestId('count-dead').locator('.value', { hasText: '1' }).waitFor();
  const task = page.locator('tr', { hasText: 'smtp: 550 mailbox unavailable' });
  await task.waitFor();
  await shot(page, '09-tasks');
  await task.getByRole('button', { name: 'Retry…' }).click();
  await page.getByRole('status').getByText('queued again').waitFor();
  await step('check-task-retried');

  // ---- another organization sees none of it ----
  const other = await newPage('other');
  await login(other, TOKEN_OTHER);
  check(await other.getByTestId('org').innerText() === 'other', 'logged in as other');
  await nav(other, 'Streams');
  await other.getByText('No streams yet.').waitFor();
  await nav(other, 'Key-value');
  await other.getByText('No buckets yet.').waitFor();
  await nav(other, 'Objects');
  await other.getByText('No buckets yet.').waitFor();
  await nav(other, 'Tasks');
  await other.getByText('No task queues yet.').waitFor();
  expected4xx = (url, s) => s === 404;
  await other.goto(base + '/#/streams/ORDERS');
  await other.getByRole('alert').filter({ hasText: 'NOT_FOUND stream "ORDERS"' }).waitFor();
  await shot(other, '10-other-org');
  expected4xx = () => false;

  if (problems.length) throw new Error(`errors in the pages:\n${problems.join('\n')}`);
  console.log('DONE');
} catch (e) {
  console.error(e.stack || String(e));
  for (const [name, p] of pages) {
    // What the page showed when the spec failed, and its error boxes.
    await p.screenshot({ path: path.join(SHOTS, `failed-${name}.png`), fullPage: true }).catch(() => {});
    for (const a of await p.getByRole('alert').allInnerTexts().catch(() => [])) console.error(`${name}: alert: ${a}`);
  }
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy();
}
