// The HTML report in headless Chromium (playwright-core): lifelines, arrows and the marked
// violation are rendered, hovering shows an event's details, the page fetches nothing,
// and a 200-event execution stays readable. Screenshots go to test-output/.
// The browser: $DMABUF_LAB_CHROMIUM, else Debian's chromium-headless-shell or chromium
// (scripts/setup-browser.sh installs it). Missing: a failure under CI, else a skip.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { loadScenario } from '../src/cli/files.ts';
import { renderHtml } from '../src/report/html.ts';
import { executionOf, reportExecution } from '../src/report/report.ts';
import { parseScenario } from '../src/scenario/load.ts';

const OUT = resolve('test-output');
const B1 = 'scenarios/b1-vfio-revoke-no-wait.yaml';

/** Width and height of a PNG file, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}
const candidates = [process.env.DMABUF_LAB_CHROMIUM, '/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium'].filter((p): p is string => !!p);
const browserPath = candidates.find((p) => existsSync(p));
const missing = 'Chromium not found: run scripts/setup-browser.sh (apt-get install chromium-headless-shell) or set DMABUF_LAB_CHROMIUM';
const skip = browserPath ? false : process.env.CI ? false : missing;

let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  assert.ok(browserPath, missing);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(OUT, { recursive: true });
});

after(async () => { await browser?.close(); });

/** Opens `html` in a fresh page that fails every network request and records them. */
async function open(html: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1500, height: 950 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.route('**/*', (route) => route.abort());
  await page.setContent(html, { waitUntil: 'load' });
  return { page, requests, errors };
}

test('the b1 counterexample renders lifelines, arrows and the marked violation; hover shows details', { skip }, async () => {
  const x = reportExecution(loadScenario('scenarios/b1-vfio-revoke-no-wait.yaml'));
  const { page, requests, errors } = await open(renderHtml(x));
  try {
    await page.check('#fullview');
    assert.equal(await page.locator('#diagram line.lane').count(), x.threads.length + x.objects.length);
    assert.equal(await page.locator('.lifeline-head').count(), x.threads.length + x.objects.length);
    const heads = await page.locator('.lifeline-head text.lname').allTextContents();
    for (const t of x.threads) assert.ok(heads.includes(t.name), t.name);
    assert.equal(await page.locator('#diagram circle.dot').count(), x.events.length);
    assert.ok(await page.locator('#diagram line.arrow').count() >= x.events.length / 2, 'arrows to the objects');
    assert.equal(await page.locator('#diagram path.hb').count(), x.hb.length);
    // the SVG really has a size and the lifelines span it
    const box = await page.locator('#diagram').boundingBox();
    assert.ok(box && box.height > x.events.length * 15 && box.width > 800, JSON.stringify(box));
    // the violation: banner, mark, red row
    const banner = await page.locator('#violation').innerText();
    assert.match(banner, /dma-after-revoke \(rule P1\) at event #\d+ in gpu0-engine: gpu0 engine DMA write of BAR0/);
    assert.match(await page.locator('.violation-mark').first().textContent() ?? '', /✖ dma-after-revoke \(P1\)/);
    assert.equal(await page.locator('circle.violation').count(), x.violations.filter((v) => v.event >= 0).length);
    assert.equal(await page.locator('#token').innerText(), x.token);
    // "show it" scrolls the violating row into view, focuses it and shows its details
    await page.click('#goto'); // the rows scroll under the pointer, which does not move
    const row = page.locator('.ev.shown');
    assert.ok(await row.isVisible());
    const rb = (await row.boundingBox())!, vp = page.viewportSize()!;
    assert.ok(rb.y >= 0 && rb.y + rb.height <= vp.height, `the violation row is in view: ${JSON.stringify(rb)}`);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('shown')), true, 'and focused');
    assert.match(await page.locator('#details').innerText(), /VIOLATION dma-after-revoke \(P1\)/);
    // hover another event: its own details
    const edge = x.hb.find((h) => x.events[h.from]!.label === 'dma_fence_signal' && x.objects.find((o) => o.id === h.obj)?.name === x.events[h.from]!.detail)!;
    const signal = x.events[edge.from]!, waiter = x.events[edge.to]!;
    await page.hover(`.ev[data-i="${signal.index}"]`);
    const details = await page.locator('#details').innerText();
    assert.match(details, new RegExp(`#${signal.seq} +gpu0-engine`));
    assert.ok(details.includes(`dma_fence_signal ${signal.detail}`), details);
    assert.match(details, /kind: signal/);
    assert.ok(details.includes(`before #${waiter.seq} (${x.threads[waiter.tid]!.name}) via ${signal.detail}`), `its happens-before edge to the waiter: ${details}`);
    assert.ok(await page.locator('path.hb.hl').count() >= 1, 'its edges are highlighted');
    await page.hover(`.ev[data-i="${x.violations.find((v) => v.shown)!.event}"]`);
    await page.screenshot({ path: join(OUT, 'report-b1-vfio-revoke-no-wait.png') });
    assert.ok(statSync(join(OUT, 'report-b1-vfio-revoke-no-wait.png')).size > 10_000);
    assert.deepEqual(requests, [], 'the page fetched nothing');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the page opens on the story: at most 15 rows, the violation and its cause marked; the toggle shows every event', { skip }, async () => {
  const x = reportExecution(loadScenario('scenarios/b1-vfio-revoke-no-wait.yaml'));
  const { page, requests, errors } = await open(renderHtml(x));
  try {
    const rows = page.locator('#story tr.story-row');
    const n = await rows.count();
    assert.equal(n, x.story!.rows.length);
    assert.ok(n >= 3 && n <= 15, `${n} story rows`);
    assert.ok(await page.locator('#story').isVisible());
    assert.equal(await page.locator('#wrap').isVisible(), false, 'the full diagram is folded away');
    const bad = page.locator('#story tr.violation');
    assert.equal(await bad.count(), 1);
    assert.match(await bad.innerText(), /dma write BAR0 .*← dma-after-revoke \(P1\)/);
    assert.match(await page.locator('#story tr.cause').innerText(), /vfio_pci_dma_buf_move\(revoked=true\) returned without waiting/);
    assert.match(await page.locator('#pair').innerText(), /vfio_pci_dma_buf_move returned vfio-buf at \d+ \(reset\) \.\.\. dma write BAR0 via gpu0-sgt\d+ at \d+ \(gpu0-engine\)/);
    // the story's lanes hold only the threads it involves, in the order they appear
    const heads = (await page.locator('#story thead th').allTextContents()).slice(1, -1);
    assert.deepEqual(heads, [...new Set(x.story!.rows.map((r) => r.thread))]);
    await page.screenshot({ path: join(OUT, 'story-b1-vfio-revoke-no-wait.png'), fullPage: true });
    assert.ok(statSync(join(OUT, 'story-b1-vfio-revoke-no-wait.png')).size > 5_000);
    // the toggle: every event, and back
    await page.check('#fullview');
    assert.ok(await page.locator('#wrap').isVisible());
    assert.equal(await page.locator('#story').isVisible(), false);
    assert.equal(await page.locator('#diagram circle.dot').count(), x.events.length);
    await page.uncheck('#fullview');
    assert.ok(await page.locator('#story').isVisible());
    // a story row opens the diagram at its event, with its details
    const seq = x.story!.pair!.cause;
    await page.click(`#story tr.story-row[data-seq="${seq}"]`);
    assert.ok(await page.locator('#wrap').isVisible());
    const at = (await page.locator(`.ev[data-seq="${seq}"]`).boundingBox())!;
    const wrap = (await page.locator('#wrap').boundingBox())!;
    assert.ok(at.y >= wrap.y && at.y + at.height <= wrap.y + wrap.height && at.y < 950, `row #${seq} in view: ${JSON.stringify([at, wrap])}`);
    assert.deepEqual(requests, []);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('every bundled counterexample\'s HTML story has at most 15 rows and shows its violation', { skip }, async () => {
  for (const f of readdirSync('scenarios').filter((n) => n.endsWith('.yaml')).sort()) {
    const x = reportExecution(loadScenario(`scenarios/${f}`));
    if (!x.story) continue;
    const { page, errors } = await open(renderHtml(x));
    try {
      const n = await page.locator('#story tr.story-row').count();
      assert.ok(n <= 15 && n === x.story.rows.length, `${f}: ${n} rows`);
      assert.equal(await page.locator('#story tr.violation').count(), 1, f);
      if (f === 'b13-gpu-remap-in-callback.yaml') await page.screenshot({ path: join(OUT, 'story-b13-gpu-remap-in-callback.png'), fullPage: true });
      assert.deepEqual(errors, [], f);
    } finally {
      await page.close();
    }
  }
});

test('a 200-event execution stays readable: rows and lifeline names do not overlap', { skip }, async () => {
  const text = readFileSync('scenarios/b1-vfio-revoke-no-wait.yaml', 'utf8')
    .replace(/importers:\n(.*\n)*?threads:\n/, 'importers:\n  - {id: gpu0, driver: gpu-dynamic}\n  - {id: gpu1, driver: gpu-dynamic}\nthreads:\n')
    .replace(/threads:\n(.*\n)*?expect:/, 'threads:\n  - name: gpu0-user\n    steps: [import: gpu0, {dma: {importer: gpu0, count: 8}}, release: gpu0]\n  - name: gpu1-user\n    steps: [import: gpu1, {dma: {importer: gpu1, count: 8}}, release: gpu1]\n  - name: reset\n    steps: [revoke]\nexpect:');
  const sc = parseScenario(text, 'long.yaml');
  const x = executionOf(sc, []);
  assert.ok(x.events.length >= 200, `${x.events.length} events`);
  const { page, requests, errors } = await open(renderHtml(x));
  try {
    if (x.story) await page.check('#fullview');
    const rows = await page.$$eval('.ev text:nth-of-type(3)', (ts) => ts.map((t) => (t as SVGTextElement).getBBox()).map((b) => [b.y, b.height]));
    assert.equal(rows.length, x.events.length);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i]![0]! >= rows[i - 1]![0]! + rows[i - 1]![1]! - 0.5, `row ${i} overlaps row ${i - 1}`);
    const heads = await page.$$eval('.lifeline-head text.lname', (ts) => ts.map((t) => (t as SVGTextElement).getBBox()).map((b) => [b.x, b.width]));
    heads.sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < heads.length; i++) assert.ok(heads[i]![0]! >= heads[i - 1]![0]! + heads[i - 1]![1]!, `lifeline name ${i} overlaps ${i - 1}`);
    const w = (await page.locator('#diagram').boundingBox())!.width;
    assert.ok(w < 4000, `diagram ${w}px wide`);
    await page.screenshot({ path: join(OUT, 'report-200-events.png') });
    assert.deepEqual(requests, []);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the details panel follows hover and keyboard focus, and closes when both leave', { skip }, async () => {
  const x = reportExecution(loadScenario(B1));
  const { page, errors } = await open(renderHtml(x));
  try {
    // the page opens on the story; these checks are about the diagram behind the toggle
    await page.check('#fullview');
    const details = page.locator('#details');
    const v = x.violations.find((w) => w.shown)!;
    const bad = x.events[v.event]!;
    assert.equal(await details.isVisible(), false, 'closed at first');
    // hover the violating event: its details, the violation named
    await page.hover(`.ev[data-i="${bad.index}"]`);
    const text = await details.innerText();
    assert.ok(text.startsWith(`#${bad.seq}  gpu0-engine\n${bad.label} ${bad.detail}\n`), text);
    assert.match(text, /^kind: dma$/m);
    assert.match(text, /^objects: BAR0, /m);
    assert.match(text, /^VIOLATION dma-after-revoke \(P1\): gpu0 engine DMA write of BAR0/m);
    await page.screenshot({ path: join(OUT, 'report-b1-hover-violation.png') });
    // the pointer leaves the rows: the panel closes
    await page.mouse.move(5, 5);
    assert.equal(await details.isVisible(), false, 'closed after the pointer left');
    // keyboard: Tab reaches the first row, the arrow keys walk the rows
    let tabs = 0;
    while (!(await page.evaluate(() => document.activeElement?.classList.contains('ev'))) && tabs++ < 10) await page.keyboard.press('Tab');
    assert.match(await details.innerText(), /^#1 /, 'the focused first row');
    for (let k = 0; k < bad.index; k++) await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-i')), String(bad.index));
    assert.match(await details.innerText(), new RegExp(`^#${bad.seq} .*\\n(.*\\n)*VIOLATION dma-after-revoke`));
    // hover wins while the pointer is on a row; leaving it goes back to the focused row
    await page.hover('.ev[data-i="0"]');
    assert.match(await details.innerText(), /^#1 /);
    await page.mouse.move(5, 5);
    assert.match(await details.innerText(), new RegExp(`^#${bad.seq} `));
    // focus moves away (to the checkbox): closed; Escape on a row: closed too
    await page.focus('#quiet');
    assert.equal(await details.isVisible(), false, 'closed after focus left the rows');
    await page.focus('.ev[data-i="3"]');
    assert.match(await details.innerText(), /^#4 /);
    await page.keyboard.press('Escape');
    assert.equal(await details.isVisible(), false, 'closed by Escape');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('the whole diagram is in one page: a full-page screenshot and a print hold the last event', { skip }, async () => {
  const x = reportExecution(loadScenario(B1));
  const { page, errors } = await open(renderHtml(x));
  try {
    // the page opens on the story; these checks are about the diagram behind the toggle
    await page.check('#fullview');
    // no inner scroll box: nothing of the diagram is clipped by an element
    const clipped = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((el) => {
      const st = getComputedStyle(el);
      return /auto|scroll|hidden/.test(st.overflowY) && el.scrollHeight > el.clientHeight + 1 && el.id !== 'details';
    }).map((el) => el.id || el.tagName));
    assert.deepEqual(clipped, []);
    const lastBottom = await page.locator('.ev').last().evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY);
    assert.ok(lastBottom > page.viewportSize()!.height, `the diagram is taller than the window (${lastBottom}px): the check means something`);
    const full = join(OUT, 'report-b1-full-page.png');
    await page.screenshot({ path: full, fullPage: true });
    assert.ok(pngSize(full).height >= lastBottom, `full-page screenshot ${pngSize(full).height}px high, last event at ${lastBottom}px`);
    // lane labels: every lifeline head says something of its own
    const heads = await page.$$eval('.lifeline-head text.lname', (ts) => ts.map((t) => [...t.querySelectorAll('tspan')].map((s) => s.textContent).join('\n')));
    assert.equal(new Set(heads).size, heads.length, `distinct lane labels: ${heads.join(' | ')}`);
    assert.ok(heads.includes('vfio-buf.resv.\nlock') && heads.includes('vfio-buf.resv.\nfences'), heads.join(' | '));
    // print: the diagram is scaled to the paper width, whole, with no details panel
    await page.emulateMedia({ media: 'print' });
    const width = page.viewportSize()!.width;
    const d = (await page.locator('#diagram').boundingBox())!;
    assert.ok(d.width <= width, `printed diagram ${d.width}px in a ${width}px page`);
    const printBottom = await page.locator('.ev').last().evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY);
    const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(printBottom <= pageHeight, 'the last event is inside the printed document');
    assert.equal(await page.locator('#details').evaluate((el) => getComputedStyle(el).display), 'none');
    const printed = join(OUT, 'report-b1-print.png');
    await page.screenshot({ path: printed, fullPage: true });
    assert.ok(pngSize(printed).height >= printBottom);
    const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true });
    assert.ok((pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length >= 1, 'Chromium prints it');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
