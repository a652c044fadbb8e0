// Every error synscope raises on purpose, each with a stable code.
// Only cli/main.ts turns them into an exit status and one line on stderr; anything else is a bug.

export type SynscopeErrorCode =
  | 'E_USAGE'
  | 'E_CAPTURE_FORMAT'
  | 'E_CAPTURE_IO'
  | 'E_OUTPUT'
  | 'E_NO_LIBPCAP'
  | 'E_LIVE_PERMISSION'
  | 'E_LIVE_INTERFACE'
  | 'E_LIVE_FILTER'
  | 'E_LIVE';

export class SynscopeError extends Error {
  readonly code: SynscopeErrorCode;
  constructor(code: SynscopeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SynscopeError';
  }
}

/** Bad command line: unknown option value, conflicting options. Exit 2. */
export class UsageError extends SynscopeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** The report cannot be written (stdout on a full disk, an I/O error). Exit 2. */
export class OutputError extends SynscopeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_OUTPUT', `cannot write the report to stdout: ${message}`, options);
    this.name = 'OutputError';
  }
}

/**
 * A capture that cannot be read further. `offset` is the absolute byte offset of the damage
 * in the file (in the decompressed stream for gzip input); -1 when no position applies
 * (missing file, directory, unreadable).
 */
export class CaptureFormatError extends SynscopeError {
  readonly file: string;
  readonly offset: number;
  constructor(
    file: string,
    offset: number,
    problem: string,
    options?: { cause?: unknown; code?: 'E_CAPTURE_FORMAT' | 'E_CAPTURE_IO' },
  ) {
    super(
      options?.code ?? 'E_CAPTURE_FORMAT',
      offset >= 0 ? `${file}: ${problem} at byte ${offset}` : `${file}: ${problem}`,
      options,
    );
    this.file = file;
    this.offset = offset;
    this.name = 'CaptureFormatError';
  }
}

/** Live capture cannot start: libpcap or the `cap` addon missing, no permission, unknown interface, bad filter. */
export class LiveCaptureUnavailableError extends SynscopeError {
  constructor(
    code: 'E_NO_LIBPCAP' | 'E_LIVE_PERMISSION' | 'E_LIVE_INTERFACE' | 'E_LIVE_FILTER' | 'E_LIVE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'LiveCaptureUnavailableError';
  }
}
