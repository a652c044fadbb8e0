// The words of `synscope --help` that are not option descriptions: the usage line, examples per
// command, the outcomes and the exit statuses. run.ts hands them to yargs.

export const USAGE =
  '$0 <command> [options]\n\n' +
  'What happened to every TCP handshake in a capture or on an interface: established, refused, rejected, ' +
  'dropped, timed out, with the errno the application saw, who answered, and the frames that prove it.';

/** [command line, what it does] pairs, per command ('' for the top-level help). */
export const EXAMPLES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  '': [
    ['$0 read capture.pcap', 'every handshake in a capture, failures listed with a diagnosis'],
    ['tcpdump -w - -i eth0 | $0 read -', 'a capture streamed on stdin'],
    ['$0 live -i eth0 --duration 60', 'sniff for a minute, one line per verdict'],
    ['$0 read --help', 'the options of read'],
  ],
  read: [
    ['$0 read x.pcap', 'totals, services, failed handshakes'],
    ['$0 read x.pcap -f lines --only all', 'one line per attempt, all outcomes'],
    ['$0 read x.pcap --port 443', 'only attempts to or from port 443'],
    ['$0 read x.pcap -f markdown --evidence t.pcap', 'a ticket, and a pcap of its failures'],
    ['$0 read x.pcap --fail-on refused,dropped', 'exit 1 if any was refused or dropped'],
  ],
  live: [
    ['$0 live -i eth0', 'a line per verdict until Ctrl-C'],
    ['$0 live -i any --port 5432 --duration 300', 'five minutes of connects to 5432'],
    ['$0 live -i eth0 -f ndjson -c 1000', 'JSON lines; stop after 1000 packets'],
  ],
  interfaces: [['$0 interfaces', 'the interfaces libpcap can open, with their addresses']],
};

/** Shown after every help text. */
export const EPILOGUE = `Outcomes (one per SYN with its retransmissions):
  established  SYN, SYN/ACK, then the client's ACK
  refused      the SYN answered by a TCP RST: ECONNREFUSED
  rejected     answered by an ICMP error: EHOSTUNREACH, ENETUNREACH, EACCES...
  dropped      no answer at all within --timeout: ETIMEDOUT
  timed-out    SYN/ACK, but no ACK from the client within --timeout: ETIMEDOUT
  aborted      the client sent RST or FIN instead of its ACK
  incomplete   the capture ends too early to tell
  (reset       for --only and --fail-on: established, then reset by either side)

Exit status:
  0  done
  1  --fail-on matched
  2  bad usage, or an input that cannot be read (one line on stderr)
  130  ended by Ctrl-C after the report so far (129 SIGHUP, 143 SIGTERM)
SIGUSR1 prints a statistics line on stderr.`;

/** Help is wrapped to the terminal, at most this wide; 80 when stdout is not a terminal. */
export function helpWidth(columns: number | undefined): number {
  return Math.min(100, columns !== undefined && columns > 0 ? columns : 80);
}

/**
 * The width of table output: COLUMNS when set to a number (so `COLUMNS=200 synscope read … | less`
 * keeps long lines), else the terminal's, else 80 (not a terminal); never below 40.
 */
export function outputWidth(env: NodeJS.ProcessEnv, columns: number | undefined): number {
  const fromEnv = Number(env['COLUMNS']);
  const w =
    env['COLUMNS'] !== undefined && Number.isInteger(fromEnv) && fromEnv > 0
      ? fromEnv
      : columns !== undefined && columns > 0
        ? columns
        : 80;
  return Math.max(40, w);
}
