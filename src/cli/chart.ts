// --chart FILE.svg: the timeline counted during the run, drawn (report/chart.ts) and written at its end.

import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { chartSvg } from '../report/chart.js';
import { failures, type Summary } from '../report/summary.js';
import { endpointText } from '../report/text.js';
import type { OutcomeTimeline } from '../report/timeline.js';

/**
 * Writes the SVG; returns the path a report links it by (relative to the working directory), or
 * the one-line error.
 */
export function writeChart(
  file: string,
  timeline: OutcomeTimeline,
  summary: Summary,
  source: string,
): { link: string } | { error: string } {
  const failing = summary
    .serviceList()
    .filter((s) => failures(s) > 0)
    .map((s) =>
      s.server.port === null ? `${s.server.ip} (${s.ports} ports)` : endpointText(s.server.ip, s.server.port),
    );
  try {
    writeFileSync(file, chartSvg(timeline.result(), failing, source));
  } catch (e) {
    return { error: `--chart ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { link: relative(process.cwd(), resolve(file)) };
}
