/** Request schemas for TLS certificates and attaching them to domains. */
import { z } from 'zod';
import { charField } from './drf';
import { formatBytes } from './fields';
import { MAX_CERT_PEM_BYTES, MAX_KEY_PEM_BYTES } from './limits';

/** Certificate names become Kubernetes secret names, hence the label rule. */
export const CERT_NAME_RE = /^[a-z0-9-]+$/;

export const CertRequest = z.object({
  name: charField({ max: 253, pattern: [CERT_NAME_RE, 'Can only contain a-z (lowercase), 0-9 and hyphens'] }),
  // PEM text is ASCII: its length in characters is its size in bytes.
  certificate: charField().refine(
    (pem) => pem.length <= MAX_CERT_PEM_BYTES,
    `A certificate can be at most ${formatBytes(MAX_CERT_PEM_BYTES)} of PEM text, chain included.`,
  ),
  key: charField().refine(
    (pem) => pem.length <= MAX_KEY_PEM_BYTES,
    `A private key can be at most ${formatBytes(MAX_KEY_PEM_BYTES)} of PEM text.`,
  ),
});
export type CertRequest = z.infer<typeof CertRequest>;

/** The domain comes in the body (the CLI) or in the path (`/v2/certs/<name>/domain/<domain>`). */
export const CertAttachRequest = z.object({ domain: charField().optional() });
