/** What can go wrong reaching a host over SSH, each with a sentence a user can act on. */

export type SshErrorCode =
  | 'bad_address'
  | 'bad_identity'
  | 'host_key_unknown'
  | 'host_key_changed'
  | 'host_key_revoked'
  | 'auth_refused'
  | 'unreachable'
  | 'no_docker'
  | 'too_many_streams'
  | 'forward_refused';

/** The host's key as a UI asks "trust this key?" about it, and as trustHostKey() records it. */
export interface PresentedHostKey {
  /** `[host]:port` or `host`, as known_hosts names it. */
  name: string;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  type: string;
  /** `SHA256:…`, as `ssh` and `ssh-keygen -lf` print it. */
  fingerprint: string;
  /** The key itself (base64 of its blob), to append once the user said yes. */
  key: string;
}

export class SshError extends Error {
  constructor(
    readonly code: SshErrorCode,
    message: string,
    readonly hostKey?: PresentedHostKey,
  ) {
    super(message);
    this.name = 'SshError';
  }
}
