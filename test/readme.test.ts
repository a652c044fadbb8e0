// README.md stays true: every sample block that starts with `$ synscope read captures/...` shows
// exactly what that command prints today (scripts/docs/readme-samples.py refreshes them).

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, synscope } from './helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const samples = [...readme.matchAll(/```\n\$ synscope (read captures\/[^\n|>]*)\n((?:(?!```)[^\n]*\n)*?)```/g)].filter(
  (m) => m[2] !== '',
);

describe('README.md samples', () => {
  it('has samples to check', () => {
    assert.ok(samples.length >= 2, `found ${samples.length}`);
  });
  for (const m of samples) {
    // Words as the shell splits them, 'single-quoted' ones whole and without their quotes.
    const args = (m[1]!.trim().match(/'[^']*'|\S+/g) ?? []).map((a) => a.replace(/^'(.*)'$/, '$1'));
    it(`synscope ${args.join(' ')}`, () => {
      const r = synscope(args);
      assert.equal(`${r.stdout}${r.stderr}`.trimEnd(), m[2]!.trimEnd());
    });
  }
  it('the two commands of the README are the ones package.json runs', () => {
    assert.ok(readme.includes('npm install && node dist/cli/main.js read captures/mixed.pcapng'));
    assert.ok(readme.includes('```sh\nnpm test\n```'));
  });
});
