/**
 * The local certificate authority that gives every `<app>.<platform domain>` HTTPS with no setup, the
 * way mkcert and OrbStack do: a root made once per DEIS_HOME (key and certificate 0600 in
 * `DEIS_HOME/tls/`), and a leaf per host name, issued in memory when the router needs it.
 *
 * Trusting the root is the user's explicit act (README, the UI's button); nothing here touches a trust
 * store. A leaked key must not become a key to the web, so the root is name-constrained to the
 * platform domain and loopback addresses: it cannot vouch for any other name, whoever trusts it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  octetString,
  oid,
  sequence,
  set,
  smallInteger,
  tlv,
  time,
  unsignedInteger,
  utf8String,
} from './der';

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** The root lives ten years: trusting it again is a chore, and its key never leaves DEIS_HOME. */
const ROOT_DAYS = 3650;
/** Leaves within what browsers accept for server certificates (398 days), re-issued long before. */
const LEAF_DAYS = 397;
/** A leaf this close to its end is issued again. */
const LEAF_RENEW_MS = 30 * DAY_MS;
/** Host names held at once; each is a few hundred bytes, one per app and domain. */
const MAX_LEAVES = 2000;

export interface Leaf {
  /** PEM of the leaf certificate. */
  certificate: string;
  /** PEM (PKCS#8) of its private key. */
  key: string;
  notAfter: Date;
}

function name(parts: [string, string][]): Buffer {
  return sequence(...parts.map(([type, value]) => set(sequence(oid(type), utf8String(value)))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** KeyUsage as a DER BIT STRING: named bits from the most significant, trailing zero bits unused. */
function keyUsage(bits: number[]): Buffer {
  let value = 0;
  for (const bit of bits) value |= 0x80 >> bit;
  let unused = 0;
  while (unused < 7 && !(value & (1 << unused))) unused++;
  return tlv(0x03, Buffer.from([unused, value]));
}

function spki(key: crypto.KeyObject): Buffer {
  return crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function keyId(publicKey: Buffer): Buffer {
  return crypto.createHash('sha1').update(publicKey).digest();
}

function ipBytes(address: string): Buffer | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return Buffer.from(address.split('.').map(Number));
  if (address === '::1') return Buffer.concat([Buffer.alloc(15), Buffer.from([1])]);
  return undefined;
}

/** GeneralName for a SAN: dNSName [2] or iPAddress [7]. */
function generalName(host: string): Buffer {
  const ip = ipBytes(host);
  return ip ? implicitPrimitive(7, ip) : implicitPrimitive(2, Buffer.from(host, 'ascii'));
}

function signCertificate(tbs: Buffer, issuerKey: crypto.KeyObject): Buffer {
  const signature = crypto.sign('sha256', tbs, { key: issuerKey, dsaEncoding: 'der' });
  return sequence(tbs, sequence(oid(OID.ecdsaWithSha256)), bitString(signature));
}

function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END CERTIFICATE-----\n`;
}

function serial(): Buffer {
  const bytes = crypto.randomBytes(16);
  bytes[0]! &= 0x7f;
  return unsignedInteger(bytes);
}

function validity(from: Date, days: number): { notBefore: Date; notAfter: Date; der: Buffer } {
  // An hour back: a clock slightly behind in a client does not see a certificate from the future.
  const notBefore = new Date(Math.floor(from.getTime() / 1000) * 1000 - HOUR_MS);
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  return { notBefore, notAfter, der: sequence(time(notBefore), time(notAfter)) };
}

const newKey = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

export class LocalAuthority {
  private readonly leaves = new Map<string, Leaf>();
  private readonly rootSubject: Buffer;
  private readonly rootKeyId: Buffer;

  private constructor(
    /** The root certificate's file, for the user to trust. */
    readonly certificatePath: string,
    /** PEM of the root certificate. */
    readonly certificate: string,
    private readonly key: crypto.KeyObject,
    /** The domain the root may vouch for (and its subdomains). */
    readonly domain: string,
  ) {
    const cert = new crypto.X509Certificate(certificate);
    const der = cert.raw;
    this.rootSubject = subjectOf(der);
    this.rootKeyId = keyId(spki(key));
  }

  /** SHA-256 fingerprint of the root, as browsers and `openssl x509 -fingerprint -sha256` show it. */
  get fingerprint(): string {
    return new crypto.X509Certificate(this.certificate).fingerprint256;
  }

  /**
   * The root of `dir` (made there when missing, or when it was made for another platform domain —
   * its name constraints would not cover the new one). A file that is there but unreadable as a
   * root stops with its name: nothing is replaced that the user may have trusted.
   */
  static open(dir: string, domain: string, now = new Date()): LocalAuthority {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const certPath = path.join(dir, 'ca.crt');
    const keyPath = path.join(dir, 'ca.key');
    if (fs.existsSync(certPath) && fs.existsSync(keyPath)) {
      let loaded: LocalAuthority;
      try {
        const certificate = fs.readFileSync(certPath, 'utf8');
        const key = crypto.createPrivateKey(fs.readFileSync(keyPath, 'utf8'));
        loaded = new LocalAuthority(certPath, certificate, key, domainOf(certificate));
      } catch (err) {
        throw new Error(
          `The local certificate authority in ${dir} cannot be read (${(err as Error).message}); move ca.crt and ca.key away to make a new one.`,
        );
      }
      const expires = new Date(new crypto.X509Certificate(loaded.certificate).validTo);
      if (loaded.domain === domain && expires.getTime() - now.getTime() > LEAF_DAYS * DAY_MS) return loaded;
      // Another platform domain, or near its end: keep the old pair next to the new one.
      const stamp = now.toISOString().replace(/[:.]/g, '-');
      fs.renameSync(certPath, path.join(dir, `ca-${stamp}.crt`));
      fs.renameSync(keyPath, path.join(dir, `ca-${stamp}.key`));
    }
    const key = newKey();
    const certificate = pem(rootCertificate(key, domain, now));
    fs.writeFileSync(keyPath, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(certPath, certificate, { mode: 0o600 });
    return new LocalAuthority(certPath, certificate, key, domain);
  }

  /** Whether the root may vouch for `host`: the platform domain and the names under it. */
  covers(host: string): boolean {
    const h = host.toLowerCase();
    return h === this.domain || h.endsWith(`.${this.domain}`);
  }

  /**
   * A leaf for `host` (issued at most once per host until it nears its end). Only names the root
   * covers: anything else would be refused by every client anyway.
   */
  leaf(host: string, now = new Date()): Leaf {
    const h = host.toLowerCase();
    if (!this.covers(h)) throw new Error(`The local certificate authority does not vouch for ${host}.`);
    const held = this.leaves.get(h);
    if (held && held.notAfter.getTime() - now.getTime() > LEAF_RENEW_MS) return held;
    if (!held && this.leaves.size >= MAX_LEAVES) this.leaves.delete(this.leaves.keys().next().value!);
    const key = newKey();
    const publicKey = spki(key);
    const { notAfter, der: validityDer } = validity(now, LEAF_DAYS);
    const tbs = sequence(
      explicit(0, smallInteger(2)),
      serial(),
      sequence(oid(OID.ecdsaWithSha256)),
      this.rootSubject,
      validityDer,
      name([[OID.commonName, h]]),
      publicKey,
      explicit(
        3,
        sequence(
          extension(OID.basicConstraints, true, sequence()),
          extension(OID.keyUsage, true, keyUsage([0])),
          extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
          extension(OID.subjectAltName, false, sequence(generalName(h))),
          extension(OID.subjectKeyId, false, octetString(keyId(publicKey))),
          extension(OID.authorityKeyId, false, sequence(implicitPrimitive(0, this.rootKeyId))),
        ),
      ),
    );
    const leaf: Leaf = {
      certificate: pem(signCertificate(tbs, this.key)),
      key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
      notAfter,
    };
    this.leaves.set(h, leaf);
    return leaf;
  }
}

function rootCertificate(key: crypto.KeyObject, domain: string, now: Date): Buffer {
  const publicKey = spki(key);
  let who = 'user';
  try {
    who = `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    // No user name (a container without passwd entry): keep the generic one.
  }
  const subject = name([
    [OID.organization, 'Deis Desktop'],
    [OID.organizationalUnit, who],
    [OID.commonName, `Deis Desktop local CA for ${domain}`],
  ]);
  // GeneralSubtree for the platform domain (and every name under it) and for 127.0.0.0/8.
  const subtrees = Buffer.concat([
    sequence(implicitPrimitive(2, Buffer.from(domain, 'ascii'))),
    sequence(implicitPrimitive(7, Buffer.from([127, 0, 0, 0, 255, 0, 0, 0]))),
  ]);
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    serial(),
    sequence(oid(OID.ecdsaWithSha256)),
    subject,
    validity(now, ROOT_DAYS).der,
    subject,
    publicKey,
    explicit(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
        extension(OID.keyUsage, true, keyUsage([5, 6])),
        extension(OID.subjectKeyId, false, octetString(keyId(publicKey))),
        // permittedSubtrees [0] IMPLICIT GeneralSubtrees: the platform domain and 127.0.0.0/8 only.
        extension(OID.nameConstraints, true, sequence(tlv(0xa0, subtrees))),
      ),
    ),
  );
  return signCertificate(tbs, key);
}

/** The DER of a certificate's subject Name (the issuer of every leaf it signs). */
function subjectOf(der: Buffer): Buffer {
  // Certificate → TBSCertificate → [version, serial, signature, issuer, validity, subject, ...].
  const tbs = children(children(der)[0]!);
  return tbs[0]![0] === 0xa0 ? tbs[5]! : tbs[4]!;
}

/** The DER elements inside a constructed DER value. */
function children(value: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = headerLength(value);
  while (at < value.length) {
    const size = headerLength(value.subarray(at)) + contentLength(value.subarray(at));
    out.push(value.subarray(at, at + size));
    at += size;
  }
  return out;
}

function headerLength(value: Buffer): number {
  const first = value[1]!;
  return first & 0x80 ? 2 + (first & 0x7f) : 2;
}

function contentLength(value: Buffer): number {
  const first = value[1]!;
  if (!(first & 0x80)) return first;
  let n = 0;
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + value[2 + i]!;
  return n;
}

/** The platform domain a root was made for, from its common name. */
function domainOf(certificate: string): string {
  const subject = new crypto.X509Certificate(certificate).subject;
  const cn = /CN=Deis Desktop local CA for (\S+)/.exec(subject);
  if (!cn) throw new Error('not a Deis Desktop local CA');
  return cn[1]!;
}
