// Exit statuses of the contract: 0 done; 1 --fail-on matched; 2 bad usage or an unreadable input.
export const EXIT_OK = 0;
export const EXIT_FAIL_ON = 1;
export const EXIT_ERROR = 2;
