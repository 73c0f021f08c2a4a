/** Request schemas for TLS certificates and attaching them to domains. */
import { z } from 'zod';
import { charField } from './drf';

/** Certificate names become Kubernetes secret names, hence the label rule. */
export const CERT_NAME_RE = /^[a-z0-9-]+$/;

export const CertRequest = z.object({
  name: charField({ max: 253, pattern: [CERT_NAME_RE, 'Can only contain a-z (lowercase), 0-9 and hyphens'] }),
  certificate: charField(),
  key: charField(),
});
export type CertRequest = z.infer<typeof CertRequest>;

/** The domain comes in the body (the CLI) or in the path (`/v2/certs/<name>/domain/<domain>`). */
export const CertAttachRequest = z.object({ domain: charField().optional() });
