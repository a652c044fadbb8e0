// The libpcap binding is optional: its install-time build (scripts/build-native.mjs) never fails the
// install. Without a compiler it says what to install and exits 0; `read` without the binding is
// tested in test/live.test.ts (synscope without libpcap).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

describe('scripts/build-native.mjs (npm install)', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'synscope-native-'));
    cpSync(join(ROOT, 'native', 'binding.gyp'), join(dir, 'binding.gyp'));
    cpSync(join(ROOT, 'native', 'pcap_binding.cc'), join(dir, 'pcap_binding.cc'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('without a C++ compiler: the install goes on (exit 0) and says what live capture needs', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs'), dir], {
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, CXX: '/nonexistent/c++', CC: '/nonexistent/cc', LINK: '/nonexistent/c++' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      'synscope: live capture is not available (no C++ compiler or make); read works without it. ' +
        'To capture live: apt-get install libpcap-dev build-essential (dnf install libpcap-devel gcc-c++ make), ' +
        'then npm run build:native\n' +
        "synscope: SYNSCOPE_BUILD_VERBOSE=1 npm run build:native shows the build's own output\n",
    );
    assert.ok(!existsSync(join(dir, 'build', 'Release', 'synscope_pcap.node')));
  });
});
