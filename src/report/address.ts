// Address text for reporters (and --host parsing); see decode/address.ts for the rules.
export { formatIp, parseIp } from '../decode/address.js';
