/**
 * Names under `localhost` are this machine's loopback (RFC 6761 §6.3), as browsers and curl treat
 * them, whatever the system's resolver knows: `deis login http://deis.localhost:8080` (the router's
 * address of the controller) works on machines whose resolver has never heard of `*.localhost`.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

const LOCALHOST = /(^|\.)localhost\.?$/i;

export const lookupLocalhost: LookupFunction = (hostname, options, callback) => {
  if (!LOCALHOST.test(hostname)) {
    dns.lookup(hostname, options, callback);
    return;
  }
  const [address, family] = options.family === 6 ? ['::1', 6] : ['127.0.0.1', 4];
  if (options.all) callback(null, [{ address, family }]);
  else callback(null, address, family);
};
