import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { readCertificate } from '../../main/controller/x509';
import { makeCert } from '../support/certs';

describe('certificate parsing', () => {
  const cert = makeCert(
    'www.example.com',
    ['www.example.com', 'example.com'],
    '/C=US/ST=CA/O=Acme\\, Inc/CN=www.example.com',
  );

  it('reads the facts Deis shows', () => {
    const r = readCertificate(cert.certificate, cert.key);
    if (!r.ok) throw new Error(r.message);
    const x = new X509Certificate(cert.certificate);
    expect(r.info).toEqual({
      common_name: 'www.example.com',
      expires: new Date(x.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      starts: new Date(x.validFrom).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      fingerprint: x.fingerprint256,
      san: ['www.example.com', 'example.com'],
      issuer: '/C=US/ST=CA/O=Acme, Inc/CN=www.example.com',
      subject: '/C=US/ST=CA/O=Acme, Inc/CN=www.example.com',
    });
    expect(r.info.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(r.info.expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('gives an empty SAN list and common name when the certificate has none', () => {
    const plain = makeCert('x', [], '/O=No Common Name');
    const r = readCertificate(plain.certificate, plain.key);
    if (!r.ok) throw new Error(r.message);
    expect(r.info.san).toEqual([]);
    expect(r.info.common_name).toBe('');
    expect(r.info.subject).toBe('/O=No Common Name');
  });

  it('refuses a certificate that does not parse', () => {
    const r = readCertificate('not a certificate', cert.key);
    expect(r).toMatchObject({ ok: false, field: 'certificate' });
    if (!r.ok) expect(r.message).toMatch(/^Could not load certificate: /);
  });

  it('refuses a key that does not parse, or belongs to another certificate', () => {
    const bad = readCertificate(
      cert.certificate,
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    );
    expect(bad).toMatchObject({ ok: false, field: 'key' });
    if (!bad.ok) expect(bad.message).toMatch(/^Could not load private key: /);
    const other = makeCert('other.example.com');
    expect(readCertificate(cert.certificate, other.key)).toEqual({
      ok: false,
      field: 'key',
      message: 'The private key does not match the certificate.',
    });
  });
});
