// An established connection reset later ("connection reset by peer"): counted by side in the
// summary and the services, listed by default in the text formats, selectable with --only reset
// and --fail-on reset. captures/reset-after-accept.pcap: the server accepted, then reset (SO_LINGER 0).

import { strict as assert } from 'node:assert';
import { synscope } from '../helpers/cli.js';

const CAPTURE = 'captures/reset-after-accept.pcap';

describe('cli/resets on captures/reset-after-accept.pcap', () => {
  it('json: the summary and the service count the reset by side; the outcome stays established', () => {
    const r = synscope(['read', CAPTURE, '--format', 'json']);
    assert.equal(r.status, 0);
    const doc = JSON.parse(r.stdout) as {
      summary: Record<string, unknown>;
      services: Record<string, unknown>[];
      handshakes: Record<string, unknown>[];
    };
    assert.deepEqual(doc.summary['resets'], { byClient: 0, byServer: 1 });
    assert.equal(doc.summary['established'], 1);
    assert.deepEqual(doc.services[0]!['resets'], { byClient: 0, byServer: 1 });
    assert.equal(doc.handshakes[0]!['outcome'], 'established');
    assert.equal(doc.handshakes[0]!['resetBy'], 'server');
  });

  it('table: counted under established, the service is failing, the handshake listed with its diagnosis', () => {
    const r = synscope(['read', CAPTURE]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^1 of 1 attempt failed: 10\.77\.2\.2:8081 reset 1\n/);
    assert.match(r.stdout, /^ {2}reset by server +1 +ECONNRESET$/m);
    assert.match(r.stdout, /^server +attempts +established +reset by server /m);
    assert.doesNotMatch(r.stdout, /no failing service|no handshakes/);
    assert.match(r.stdout, /^12:22:42\.910 .* established +1 +synack/m);
    assert.match(
      synscope(['read', CAPTURE], undefined, { COLUMNS: '200' }).stdout,
      / established \(reset by server\) +1 +synack \+/,
    );
    assert.match(
      r.stdout.replace(/\s+/g, ' '),
      new RegExp(
        /the server later reset the connection \(RST\)\. /.source +
          /The client application saw ECONNRESET \("connection reset by peer"\)/.source,
      ),
    );
  });

  it('lines and markdown list it by default; --only refused does not, --only reset does', () => {
    const lines = synscope(['read', CAPTURE, '--format', 'lines']).stdout.split('\n');
    assert.match(lines[0]!, /10\.77\.1\.2\.40020 > 10\.77\.2\.2\.8081: established, .*reset by server/);
    assert.equal(lines[1], '# 1 of 1 attempt failed: 10.77.2.2:8081 reset 1');
    assert.equal(lines[2], '# 1 attempt: 1 established (1 reset by server) (4 packets, 1 capture)');
    assert.match(
      synscope(['read', CAPTURE, '--format', 'markdown']).stdout,
      /^## TCP handshakes: 0 of 1 failed, 1 reset after connecting$/m,
    );
    assert.equal(
      synscope(['read', CAPTURE, '--format', 'lines', '--only', 'refused']).stdout.split('\n')[0]!.startsWith('#'),
      true,
    );
    assert.match(
      synscope(['read', CAPTURE, '--format', 'lines', '--only', 'reset']).stdout,
      /established, .*reset by server/,
    );
  });

  it('--fail-on reset exits 1; --fail-on refused does not', () => {
    assert.equal(synscope(['read', CAPTURE, '--fail-on', 'reset']).status, 1);
    assert.equal(synscope(['read', CAPTURE, '--fail-on', 'refused']).status, 0);
  });
});
