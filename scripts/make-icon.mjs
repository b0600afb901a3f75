#!/usr/bin/env node
// Renders the Marketplace icon, media/icon.png (128 x 128), from the SVG below with headless
// chromium (playwright-core; chromium from FLATNESS_CHROMIUM, CHROMIUM_PATH or PATH).
// Usage: node scripts/make-icon.mjs
import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 128;

// A lens over a loss landscape: a sharp valley and a wide flat one, the flat one magnified.
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 128 128">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#1d3b5c"/><stop offset="1" stop-color="#0f1f33"/>
    </linearGradient>
    <clipPath id="lens"><circle cx="78" cy="70" r="30"/></clipPath>
  </defs>
  <rect x="4" y="4" width="120" height="120" rx="24" fill="url(#bg)"/>
  <path d="M14 42 C 22 42, 26 88, 32 88 S 40 42, 48 40 C 58 38, 60 84, 78 84 S 98 38, 114 40"
        fill="none" stroke="#7fb8e8" stroke-width="5" stroke-linecap="round"/>
  <g clip-path="url(#lens)">
    <rect x="40" y="32" width="80" height="80" fill="#e8f3fc" opacity="0.16"/>
    <path d="M40 44 C 56 44, 58 82, 78 82 S 100 44, 116 44" fill="none" stroke="#8ee08a" stroke-width="7" stroke-linecap="round"/>
  </g>
  <circle cx="78" cy="70" r="30" fill="none" stroke="#f2f6fa" stroke-width="6"/>
  <path d="M99 92 L114 107" stroke="#f2f6fa" stroke-width="9" stroke-linecap="round"/>
</svg>`;

function findChromium() {
  for (const value of [process.env.FLATNESS_CHROMIUM, process.env.CHROMIUM_PATH]) if (value) return value;
  for (const directory of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
      try {
        accessSync(join(directory, name), constants.X_OK);
        return join(directory, name);
      } catch {
        // not here
      }
    }
  }
  throw new Error('chromium was not found: set FLATNESS_CHROMIUM or put chromium on PATH');
}

const browser = await chromium.launch({ executablePath: findChromium(), args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const png = await page.locator('svg').screenshot({ omitBackground: true });
  writeFileSync(join(root, 'media/icon.png'), png);
  console.log(`make-icon: media/icon.png (${png.length} bytes)`);
} finally {
  await browser.close();
}
