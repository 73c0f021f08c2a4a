/**
 * TLS certificates and which domains they serve. As in Deis, a certificate is visible only to the user
 * who added it (admins included), and a domain carries at most one certificate. Unlike Deis, attaching
 * or detaching also requires access to the domain's app, so nobody can put their certificate in front
 * of someone else's domain.
 */
import type { Certificate } from '../contract/objects';
import type { CertRequest } from '../contract/certs';
import { badRequest, conflict, invalid, notFound, notFoundDetail } from '../contract/errors';
import { MAX_CERTS_PER_USER } from '../contract/limits';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { Apps } from './apps';
import type { DomainRow, Domains } from './domains';
import type { UserRow } from './users';
import { readCertificate } from './x509';

export interface CertRow {
  id: number;
  owner_id: number;
  name: string;
  certificate: string;
  key: string;
  common_name: string;
  expires: string;
  starts: string;
  fingerprint: string;
  san: string;
  issuer: string;
  subject: string;
  created: string;
  updated: string;
  owner: string;
}

const SELECT_CERT =
  'SELECT certificates.*, users.username AS owner FROM certificates JOIN users ON users.id = certificates.owner_id';

export class Certs {
  constructor(
    private readonly store: Store,
    private readonly apps: Apps,
    private readonly domains: Domains,
  ) {}

  /** The certificate as the API shows it; the certificate and key themselves are never sent back. */
  json(c: CertRow): Certificate {
    return {
      id: c.id,
      created: c.created,
      updated: c.updated,
      owner: c.owner,
      name: c.name,
      common_name: c.common_name,
      expires: c.expires,
      starts: c.starts,
      fingerprint: c.fingerprint,
      san: JSON.parse(c.san) as string[],
      issuer: c.issuer,
      subject: c.subject,
      domains: this.attachedDomains(c),
    };
  }

  attachedDomains(c: CertRow): string[] {
    return (
      this.store.db
        .prepare('SELECT domain FROM domains WHERE certificate_id = ? ORDER BY domain')
        .all(c.id) as { domain: string }[]
    ).map((r) => r.domain);
  }

  list(user: UserRow): CertRow[] {
    return this.store.db
      .prepare(`${SELECT_CERT} WHERE certificates.owner_id = ? ORDER BY certificates.id`)
      .all(user.id) as CertRow[];
  }

  get(user: UserRow, name: string): CertRow {
    const cert = this.store.db
      .prepare(`${SELECT_CERT} WHERE certificates.owner_id = ? AND certificates.name = ?`)
      .get(user.id, name) as CertRow | undefined;
    if (!cert) throw notFound('Certificate');
    return cert;
  }

  add(user: UserRow, input: CertRequest): CertRow {
    this.checkCount(user);
    const read = readCertificate(input.certificate, input.key);
    if (!read.ok) throw invalid(read.field, read.message);
    return this.store.tx(() => {
      const db = this.store.db;
      this.checkCount(user);
      if (db.prepare('SELECT 1 FROM certificates WHERE name = ?').get(input.name))
        throw invalid('name', 'certificate with this name already exists.');
      const now = timestamp();
      const i = read.info;
      const info = db
        .prepare(
          `INSERT INTO certificates (owner_id, name, certificate, key, common_name, expires, starts, fingerprint, san, issuer, subject, created, updated)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          user.id,
          input.name,
          input.certificate,
          input.key,
          i.common_name,
          i.expires,
          i.starts,
          i.fingerprint,
          JSON.stringify(i.san),
          i.issuer,
          i.subject,
          now,
          now,
        );
      return db.prepare(`${SELECT_CERT} WHERE certificates.id = ?`).get(info.lastInsertRowid) as CertRow;
    });
  }

  /** Checked before the certificate is parsed, and again where it is stored. */
  private checkCount(user: UserRow): void {
    const { n } = this.store.db
      .prepare('SELECT COUNT(*) AS n FROM certificates WHERE owner_id = ?')
      .get(user.id) as { n: number };
    if (n >= MAX_CERTS_PER_USER)
      throw badRequest(
        `You have ${MAX_CERTS_PER_USER} certificates, the most a user may have; remove one before adding another.`,
      );
  }

  /** The PEM of a certificate and its key, for the router (never for an API answer). */
  pem(id: number): { certificate: string; key: string } | undefined {
    return this.store.db.prepare('SELECT certificate, key FROM certificates WHERE id = ?').get(id) as
      { certificate: string; key: string } | undefined;
  }

  /**
   * Deletes a certificate; its domains lose it (the schema sets their certificate to NULL).
   * Returns the apps whose domains it served, for the router to follow.
   */
  remove(user: UserRow, name: string): string[] {
    return this.store.tx(() => {
      const cert = this.get(user, name);
      const apps = this.store.db
        .prepare(
          'SELECT DISTINCT apps.id AS app FROM domains JOIN apps ON apps.uuid = domains.app_uuid WHERE certificate_id = ?',
        )
        .all(cert.id) as { app: string }[];
      this.store.db.prepare('DELETE FROM certificates WHERE id = ?').run(cert.id);
      return apps.map((a) => a.app);
    });
  }

  /** The domain, if the user may change its app (owners, admins and collaborators may). */
  private usableDomain(user: UserRow, domain: string): DomainRow {
    const row = this.domains.find(domain);
    if (!row) throw notFound('Domain');
    this.apps.access(user, row.app, 'POST');
    return row;
  }

  /** Attaches; returns the domain's app, for the router to follow. */
  attach(user: UserRow, name: string, domain: string): string {
    return this.store.tx(() => {
      const cert = this.get(user, name);
      const row = this.usableDomain(user, domain);
      if (row.certificate_id !== null) throw conflict('Domain already has a certificate attached to it');
      this.store.db
        .prepare('UPDATE domains SET certificate_id = ?, updated = ? WHERE id = ?')
        .run(cert.id, timestamp(), row.id);
      return row.app;
    });
  }

  /** Detaches; returns the domain's app, for the router to follow. */
  detach(user: UserRow, name: string, domain: string): string {
    return this.store.tx(() => {
      const cert = this.get(user, name);
      const row = this.usableDomain(user, domain);
      // Deis cleared whatever certificate the domain had; only this one's attachment is ours to remove.
      if (row.certificate_id !== cert.id)
        throw notFoundDetail(`The certificate ${cert.name} is not attached to ${row.domain}`);
      this.store.db
        .prepare('UPDATE domains SET certificate_id = NULL, updated = ? WHERE id = ?')
        .run(timestamp(), row.id);
      return row.app;
    });
  }
}
