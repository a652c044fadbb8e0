// `synscope interfaces`: the capture interfaces as tcpdump -D lists them, with their addresses
// (text or --format json). Works without root, and without libpcap (then it says live capture needs it).

import { listInterfaces, stateText, type InterfaceListing } from '../capture/interfaces.js';
import { UsageError } from '../errors.js';
import type { Sink } from '../report/reporter.js';
import { EXIT_OK } from './exit.js';

export function interfacesText(l: InterfaceListing): string {
  let s = '';
  l.interfaces.forEach((i, n) => {
    s += `${n + 1}.${i.name}`;
    if (i.description !== null) s += ` (${i.description})`;
    s += ` [${stateText(i)}]`;
    if (l.libpcap && !i.capture) s += ' (not listed by libpcap)';
    s += '\n';
    for (const a of i.addresses) {
      s += `    ${a.family === 'IPv4' ? 'inet ' : 'inet6'} ${a.address}${a.prefix === null ? '' : `/${a.prefix}`}\n`;
    }
  });
  if (l.interfaces.length === 0) s += 'no interfaces found\n';
  return s;
}

export function runInterfaces(
  args: { [key: string]: unknown; format?: unknown },
  out: { write: Sink },
  err: (line: string) => void,
): number {
  const raw = args.format;
  const format = raw === undefined ? 'text' : String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`interfaces --format: unknown format '${format}' (text or json)`);
  const listing = listInterfaces();
  if (format === 'json') out.write(`${JSON.stringify(listing, null, 2)}\n`);
  else out.write(interfacesText(listing));
  if (listing.problem !== null) err(`synscope: ${listing.problem}`);
  return EXIT_OK;
}
