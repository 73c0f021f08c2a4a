/**
 * Reads the facts Deis shows about a TLS certificate (common name, validity, SHA-256 fingerprint,
 * DNS subject alternative names, issuer and subject as `/C=US/O=Acme/CN=...`) and checks that the
 * private key loads and belongs to the certificate, so the router is never handed a broken pair.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { timestamp } from '../store/clock';

export interface CertificateInfo {
  common_name: string;
  expires: string;
  starts: string;
  fingerprint: string;
  san: string[];
  issuer: string;
  subject: string;
}

export type CertificateCheck =
  { ok: true; info: CertificateInfo } | { ok: false; field: 'certificate' | 'key'; message: string };

/** Node prints names one `KEY=value` per line, with RFC 2253 backslash escapes. */
function nameComponents(name: string): [string, string][] {
  return name
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1).replace(/\\(.)/g, '$1')];
    });
}

const slashName = (name: string) =>
  '/' +
  nameComponents(name)
    .map(([k, v]) => `${k}=${v}`)
    .join('/');

/** Only DNS names count, as in Deis (IP and e-mail SANs cannot be routed to). */
function dnsNames(san: string | undefined): string[] {
  if (!san) return [];
  return san
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).replace(/^"|"$/g, ''));
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

export function readCertificate(certificate: string, key: string): CertificateCheck {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificate);
  } catch (err) {
    return { ok: false, field: 'certificate', message: `Could not load certificate: ${firstLine(err)}` };
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    return { ok: false, field: 'key', message: `Could not load private key: ${firstLine(err)}` };
  }
  if (!cert.checkPrivateKey(privateKey))
    return { ok: false, field: 'key', message: 'The private key does not match the certificate.' };
  const cn = nameComponents(cert.subject).find(([k]) => k === 'CN');
  return {
    ok: true,
    info: {
      common_name: cn?.[1] ?? '',
      expires: timestamp(new Date(cert.validTo)),
      starts: timestamp(new Date(cert.validFrom)),
      fingerprint: cert.fingerprint256,
      san: dnsNames(cert.subjectAltName),
      issuer: slashName(cert.issuer),
      subject: slashName(cert.subject),
    },
  };
}
