/** The versions this CLI reports: its own (as the Deis v2.18 client did) and the API it speaks. */

/** The client release this CLI behaves like. */
export const CLI_VERSION = 'v2.18.0';

/** The controller API version the client was written against (`DEIS_API_VERSION`). */
export const CLIENT_API_VERSION = '2.3';

export const USER_AGENT = `Deis Client ${CLI_VERSION}`;
