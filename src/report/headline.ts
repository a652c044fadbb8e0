// The one-line answer that opens the table (and closes lines): how many attempts failed, and the
// services that failed most, each with its failing outcomes and what the findings say about it.
// "5 of 8 attempts failed: 10.77.2.2:8082 dropped 6 (listen queue overflow), 10.77.1.1:9 refused 1"

import type { Finding } from './findings.js';
import type { RunReport } from './reporter.js';
import { failures, type ServiceJson } from './summary.js';
import { endpointText, plural } from './text.js';

const FAILED: readonly ('refused' | 'rejected' | 'dropped' | 'timed-out' | 'aborted')[] = [
  'dropped',
  'timed-out',
  'refused',
  'rejected',
  'aborted',
];

const FINDING_WORDS: Readonly<Partial<Record<Finding['kind'], string>>> = {
  'listen-queue-overflow': 'listen queue overflow',
  'injected-reset': 'injected resets',
  'slow-connect': 'slow connects',
};

function serviceName(s: ServiceJson): string {
  return s.server.port === null ? `${s.server.ip} (${s.ports} ports)` : endpointText(s.server.ip, s.server.port);
}

/** "10.77.2.2:8082 dropped 6, refused 1 (listen queue overflow)" */
function servicePart(s: ServiceJson, findings: readonly Finding[]): string {
  const parts: string[] = [];
  for (const k of FAILED) if ((s[k] ?? 0) > 0) parts.push(`${k} ${s[k]}`);
  const reset = (s.resets?.byClient ?? 0) + (s.resets?.byServer ?? 0);
  if (reset > 0) parts.push(`reset ${reset}`);
  const words = new Set<string>();
  for (const f of findings) {
    const w = FINDING_WORDS[f.kind];
    if (w !== undefined && f.server !== null && f.server.ip === s.server.ip && f.server.port === s.server.port)
      words.add(w);
  }
  return `${serviceName(s)} ${parts.join(', ')}${words.size > 0 ? ` (${[...words].join(', ')})` : ''}`;
}

/**
 * The headline, at most `width` columns (services that do not fit are counted: "and 3 more
 * services"); with no width, the five services that failed most.
 */
export function headline(run: RunReport, width = Number.POSITIVE_INFINITY): string {
  const t = run.summary.totals;
  if (t.attempts === 0) return 'no TCP handshake attempts seen';
  const failing = run.summary.serviceList().filter((s) => failures(s) > 0);
  const failed = failing.reduce((n, s) => n + failures(s), 0);
  const of = plural(t.attempts, 'attempt');
  if (failed === 0) {
    let s = t.incomplete > 0 ? `none of ${of} failed (${t.incomplete} incomplete)` : `all ${of} established`;
    // What the findings say about services that did not fail ("slow connects: 10.77.2.2:8087").
    const about = new Map<string, string[]>();
    for (const f of run.findings) {
      const w = FINDING_WORDS[f.kind];
      if (w === undefined || f.server === null) continue;
      const name = f.server.port === null ? f.server.ip : endpointText(f.server.ip, f.server.port);
      about.set(w, [...(about.get(w) ?? []), name]);
    }
    for (const [w, names] of about) s += `; ${w}: ${names.join(', ')}`;
    return s;
  }
  let s = `${failed} of ${of} failed:`;
  const most = Number.isFinite(width) ? failing.length : Math.min(5, failing.length);
  let shown = 0;
  for (; shown < most; shown++) {
    const part = `${shown === 0 ? ' ' : ', '}${servicePart(failing[shown]!, run.findings)}`;
    const left = failing.length - shown - 1;
    const tail = left > 0 ? `, and ${plural(left, 'more service', 'more services')}` : '';
    if (shown > 0 && s.length + part.length + tail.length > width) break;
    s += part;
  }
  const left = failing.length - shown;
  if (left > 0) s += `${shown > 0 ? ',' : ''} and ${plural(left, 'more service', 'more services')}`;
  return s;
}
