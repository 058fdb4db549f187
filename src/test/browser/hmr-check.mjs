// Opens a page through a Portsicle tunnel in headless Chromium, edits a source file of the Vite app
// behind it and checks that the page updates by hot module replacement, without a full reload.
// Usage: node hmr-check.mjs URL MESSAGE_FILE    (exit 0 on success, 1 with a reason otherwise)
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';

const [url, messageFile] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('message')?.textContent === 'hello v1',
    null, { timeout: 30000 });
  // Vite's client logs "[vite] connected." once its hot-reload WebSocket is up through the tunnel.
  const deadline = Date.now() + 30000;
  while (!consoleLines.some((l) => l.includes('[vite] connected')) && Date.now() < deadline) {
    await page.waitForTimeout(50);
  }
  if (!consoleLines.some((l) => l.includes('[vite] connected'))) {
    throw new Error('the hot-reload WebSocket never connected: ' + consoleLines.join(' | '));
  }
  await page.evaluate(() => { window.__portsicleMarker = 'same page'; });
  writeFileSync(messageFile, "export const message = 'hello v2';\n");
  await page.waitForFunction(() => document.getElementById('message')?.textContent === 'hello v2',
    null, { timeout: 30000 });
  const marker = await page.evaluate(() => window.__portsicleMarker);
  if (marker !== 'same page') {
    throw new Error('the page was reloaded instead of hot-updated');
  }
  console.log(JSON.stringify({ ok: true, url, console: consoleLines }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, url, error: String(e) }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
