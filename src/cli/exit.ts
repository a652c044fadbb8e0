// Exit statuses of the contract: 0 done; 1 --fail-on matched; 2 bad usage or an unreadable input.
export const EXIT_OK = 0;
export const EXIT_FAIL_ON = 1;
export const EXIT_ERROR = 2;

/** yargs drops a lone "-" from positionals; main.ts passes it as this token and read.ts turns it back. */
export const STDIN_TOKEN = '\u0000stdin';
