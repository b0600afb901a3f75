import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_MISSING, findChromium } from '../helpers/chromium';

describe('where the browser tests find chromium', () => {
  test('FLATNESS_CHROMIUM, then CHROMIUM_PATH, then PATH; a variable naming a missing file is an error', () => {
    const folder = mkdtempSync(join(tmpdir(), 'flatness-chromium-lookup-'));
    try {
      const onPath = join(folder, 'chromium-browser');
      const named = join(folder, 'my-chrome');
      for (const file of [onPath, named]) {
        writeFileSync(file, '#!/bin/sh\n');
        chmodSync(file, 0o755);
      }
      writeFileSync(join(folder, 'chromium'), 'not executable');
      assert.equal(findChromium({ PATH: folder }), onPath, 'a non-executable file on PATH is skipped');
      assert.equal(findChromium({ PATH: folder, CHROMIUM_PATH: named }), named);
      assert.equal(findChromium({ PATH: folder, FLATNESS_CHROMIUM: named, CHROMIUM_PATH: join(folder, 'absent') }), named);
      assert.throws(() => findChromium({ PATH: folder, FLATNESS_CHROMIUM: join(folder, 'absent') }), /FLATNESS_CHROMIUM=.*absent is not an executable file/);
      assert.equal(findChromium({ PATH: join(folder, 'empty') }), null);
      assert.match(CHROMIUM_MISSING, /apt-get install chromium/);
      assert.match(CHROMIUM_MISSING, /FLATNESS_CHROMIUM/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
