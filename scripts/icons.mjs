// Renders the app icons (PNG) from the checked-in SVGs with Debian's Chromium: nothing is downloaded.
//   node scripts/icons.mjs      → public/icons/icon-{192,512}.png, maskable-512.png, apple-touch-icon.png
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const pub = fileURLToPath(new URL('../public/', import.meta.url));
const jobs = [
  { svg: 'favicon.svg', out: 'icons/icon-192.png', px: 192 },
  { svg: 'favicon.svg', out: 'icons/icon-512.png', px: 512 },
  { svg: 'icons/maskable.svg', out: 'icons/maskable-512.png', px: 512 },
  { svg: 'icons/maskable.svg', out: 'icons/apple-touch-icon.png', px: 180 },
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  for (const { svg, out, px } of jobs) {
    const data = `data:image/svg+xml;base64,${readFileSync(pub + svg).toString('base64')}`;
    await page.setViewportSize({ width: px, height: px });
    await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${data}" width="${px}" height="${px}" style="display:block"></body></html>`);
    await page.locator('img').evaluate((img) => img.decode());
    await page.screenshot({ path: pub + out, omitBackground: true, clip: { x: 0, y: 0, width: px, height: px } });
    console.log(`${out} ${px}×${px}`);
  }
} finally {
  await browser.close();
}
