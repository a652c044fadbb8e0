// `synscope --help`: examples, outcomes and exit statuses, wrapped at word boundaries to the width;
// bare `synscope` prints the usage, not one line.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EPILOGUE, EXAMPLES, helpWidth } from '../../src/cli/help.js';
import { OUTCOMES } from '../../src/track/attempt.js';
import { ROOT, synscope } from '../helpers/cli.js';

/** Help text with its wrapping undone: words separated by single spaces. */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

const main = readFileSync(join(ROOT, 'src', 'cli', 'run.ts'), 'utf8');
/** The option descriptions every analysing command shares (analysisOptions() in run.ts). */
const shared = [
  ...main
    .slice(main.indexOf('function analysisOptions'), main.indexOf("/** The report's sink"))
    .matchAll(/describe: '([^']+)'/g),
].map((m) => m[1]!);
/** A word without the punctuation around it. */
const bare = (w: string): string => w.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');

/**
 * Every word help may print: those of run.ts and help.ts, and yargs' own. A word cut in two by the
 * wrapping ("co" / "unts") is in neither.
 */
const words = new Set([
  ...`${main} ${readFileSync(join(ROOT, 'src', 'cli', 'help.ts'), 'utf8')}`
    .replace(/\$0/g, 'synscope')
    .replace(/\\n/g, ' ')
    .split(/[\s`]+/)
    .map(bare),
  ...'Show help version number Options Positionals Commands Examples'.split(' '),
]);

describe('cli/help', () => {
  it('help is 80 columns wide when stdout is not a terminal, at most 100 on a wide one', () => {
    assert.equal(helpWidth(undefined), 80);
    assert.equal(helpWidth(60), 60);
    assert.equal(helpWidth(200), 100);
  });

  for (const cmd of ['', 'read', 'live', 'interfaces']) {
    it(`synscope ${cmd} --help: no line over 80 columns, no word cut in two, examples, outcomes, exit statuses`, () => {
      const r = synscope(cmd === '' ? ['--help'] : [cmd, '--help']);
      assert.equal(r.status, 0);
      assert.equal(r.stderr, '');
      for (const line of r.stdout.split('\n')) assert.ok(line.length <= 80, `over 80 columns: ${line}`);
      const text = flat(r.stdout);
      for (const w of text.trim().split(' '))
        if (!w.startsWith('-')) assert.ok(words.has(bare(w)), `a word cut in two or unknown: '${w}'`);
      if (cmd === 'read' || cmd === 'live')
        for (const d of shared) assert.ok(text.includes(flat(d)), `missing or cut: ${d}`);
      for (const [, what] of EXAMPLES[cmd] ?? []) assert.ok(text.includes(what), `example missing: ${what}`);
      for (const o of OUTCOMES) assert.match(r.stdout, new RegExp(`^  ${o} `, 'm'));
      assert.ok(text.includes(flat(EPILOGUE)), 'outcomes and exit statuses');
    });
  }

  it('bare synscope prints the whole usage on stderr and exits 2', () => {
    const r = synscope([]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^synscope <command> \[options\]/);
    assert.match(r.stderr, /Commands:/);
    assert.match(r.stderr, /Exit status:/);
    assert.ok(r.stderr.split('\n').length > 20);
  });
});
