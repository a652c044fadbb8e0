// The output formats by name, and the reporter for each. A reporter's module is loaded when its
// format is chosen: a json run loads no text formatting.

import type { ByteSink } from './json.js';
import type { Reporter, Sink } from './reporter.js';

export type Format = 'table' | 'lines' | 'json' | 'ndjson' | 'markdown';
export const FORMATS: readonly Format[] = ['table', 'lines', 'json', 'ndjson', 'markdown'];

/**
 * The reporter of `format`, writing text to `out` (json and ndjson write bytes to `bytesOut` when
 * given). With `several` inputs, lines and table name the file of every frame list (json names it
 * in every record). The table is `width` columns wide.
 */
export async function makeReporter(
  format: Format,
  out: Sink,
  color: boolean,
  bytesOut?: ByteSink,
  several = false,
  width = 80,
): Promise<Reporter> {
  switch (format) {
    case 'json':
      return new (await import('./json.js')).JsonReporter(out, bytesOut);
    case 'ndjson':
      return new (await import('./json.js')).NdjsonReporter(out, bytesOut);
    case 'lines':
      return new (await import('./lines.js')).LinesReporter(out, color, several);
    case 'markdown':
      return new (await import('./markdown.js')).MarkdownReporter(out);
    case 'table':
      return new (await import('./table.js')).TableReporter(out, color, several, width);
  }
}
