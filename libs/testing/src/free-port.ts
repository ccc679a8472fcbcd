/** A loopback TCP port free right now (for a server a test starts, such as a metrics endpoint). */
export { freePort } from '../../../tools/private-servers';
