// Builds the libpcap binding (native/) at install time. Optional: without a compiler or libpcap's headers
// the install still succeeds, `read` works, and `live` says what to install. argv[2]: the folder to build (tests).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
// npm hands lifecycle scripts the path of its own node-gyp; outside npm, the one npm ships beside node.
const bundled = join(
  dirname(process.execPath),
  '..',
  'lib',
  'node_modules',
  'npm',
  'node_modules',
  'node-gyp',
  'bin',
  'node-gyp.js',
);
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : null);
const rebuild = ['rebuild'];
// Node's own headers when they sit beside node (Debian's nodejs, official tarballs): no download needed.
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'common.gypi')))
  rebuild.push(`--nodedir=${prefix}`);
const [cmd, args] = gyp ? [process.execPath, [gyp, ...rebuild]] : ['node-gyp', rebuild];
const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (r.status === 0) {
  process.stdout.write('synscope: built the libpcap binding for live capture\n');
} else {
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`;
  let why = 'the build failed';
  if (/node-addon-api/.test(out))
    why = 'node-addon-api is missing from node_modules: run npm install (or npm ci) first';
  else if (/pcap\.h|pcap\/pcap\.h/.test(out)) why = "libpcap's headers are missing";
  else if (/network connectivity|ENOTFOUND|ECONNREFUSED/.test(out)) why = "node's headers could not be downloaded";
  else if (/not found|ENOENT|No such file or directory|make: .*Error|gyp ERR! stack Error: not found/.test(out))
    why = 'no C++ compiler or make';
  process.stdout.write(
    `synscope: live capture is not available (${why}); read works without it. ` +
      'To capture live: apt-get install libpcap-dev build-essential (dnf install libpcap-devel gcc-c++ make),' +
      ' then npm run build:native\n',
  );
  if (process.env.SYNSCOPE_BUILD_VERBOSE === '1') process.stdout.write(out);
  else process.stdout.write("synscope: SYNSCOPE_BUILD_VERBOSE=1 npm run build:native shows the build's own output\n");
}
