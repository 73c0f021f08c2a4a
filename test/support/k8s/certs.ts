/**
 * The cluster's credentials, made with openssl in the state folder: a CA, the API server's serving
 * certificate for 127.0.0.1, one client certificate per component, a service-account key pair and a
 * static admin token (what tests and `kubectl` use).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './run';

export interface ClientCert {
  cert: string;
  key: string;
}

export interface ClusterCredentials {
  dir: string;
  ca: ClientCert;
  apiserver: ClientCert;
  serviceAccountKey: string;
  serviceAccountPub: string;
  tokenFile: string;
  adminToken: string;
  clients: Record<
    'controllerManager' | 'scheduler' | 'kubelet' | 'kubeProxy' | 'apiserverKubelet',
    ClientCert
  >;
}

export function makeCredentials(dir: string, serviceIp: string): ClusterCredentials {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const ca = { cert: file('ca.crt'), key: file('ca.key') };
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=deis-desktop-test-ca',
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
  ]);

  const sign = (name: string, subject: string, ext: string): ClientCert => {
    const out = { cert: file(`${name}.crt`), key: file(`${name}.key`) };
    run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      out.key,
      '-out',
      file(`${name}.csr`),
    ]);
    fs.writeFileSync(file(`${name}.ext`), ext);
    run('openssl', [
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      out.cert,
    ]);
    return out;
  };
  const client = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
  const apiserver = sign(
    'apiserver',
    '/CN=kube-apiserver',
    'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      `subjectAltName=IP:127.0.0.1,IP:${serviceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n`,
  );
  const clients = {
    controllerManager: sign('controller-manager', '/CN=system:kube-controller-manager', client),
    scheduler: sign('scheduler', '/CN=system:kube-scheduler', client),
    // The Node authorizer knows a kubelet by this name; the node is called 127.0.0.1.
    kubelet: sign('kubelet', '/O=system:nodes/CN=system:node:127.0.0.1', client),
    kubeProxy: sign('kube-proxy', '/CN=system:kube-proxy', client),
    apiserverKubelet: sign(
      'apiserver-kubelet-client',
      '/O=system:masters/CN=kube-apiserver-kubelet-client',
      client,
    ),
  };

  const serviceAccountKey = file('sa.key');
  const serviceAccountPub = file('sa.pub');
  run('openssl', ['genrsa', '-out', serviceAccountKey, '2048']);
  run('openssl', ['rsa', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);

  const adminToken = crypto.randomBytes(24).toString('hex');
  const tokenFile = file('tokens.csv');
  fs.writeFileSync(tokenFile, `${adminToken},deis-test-admin,deis-test-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  return { dir, ca, apiserver, serviceAccountKey, serviceAccountPub, tokenFile, adminToken, clients };
}

/** A kubeconfig for one identity: a client certificate, or the admin token. */
export function kubeconfig(server: string, caFile: string, user: ClientCert | { token: string }): string {
  const ca = fs.readFileSync(caFile).toString('base64');
  const auth =
    'token' in user
      ? `    token: ${user.token}\n`
      : `    client-certificate: ${user.cert}\n    client-key: ${user.key}\n`;
  return (
    'apiVersion: v1\nkind: Config\n' +
    `clusters:\n- name: deis-test\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${ca}\n` +
    `users:\n- name: deis-test\n  user:\n${auth}` +
    'contexts:\n- name: deis-test\n  context:\n    cluster: deis-test\n    user: deis-test\n' +
    'current-context: deis-test\n'
  );
}
