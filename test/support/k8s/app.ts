/** Apps and requests the Kubernetes tests share. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { BASE_IMAGE } from '../images';

/** A small app as users write it: no signal handlers, answers with its release and greeting. */
export function appFolder(variant: 'good' | 'crash' = 'good'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-app-'));
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM ${BASE_IMAGE}\nCOPY server.pl /server.pl\nCMD ["perl", "/server.pl"]\n`,
  );
  const crash = variant === 'crash' ? 'die "this release cannot start\\n";\n' : '';
  fs.writeFileSync(
    path.join(dir, 'server.pl'),
    `use strict;
use IO::Socket::INET;
$| = 1;
${crash}sleep($ENV{STARTUP_DELAY}) if $ENV{STARTUP_DELAY};
my $server = IO::Socket::INET->new(LocalPort => $ENV{PORT}, Listen => 16, ReuseAddr => 1) or die "listen: $!";
print "listening on $ENV{PORT}\\n";
while (my $client = $server->accept) {
  while (my $h = <$client>) { last if $h =~ /^\\r?\\n$/; }
  my $body = "$ENV{WORKFLOW_RELEASE} " . ($ENV{GREETING} // 'hello') . "\\n";
  print $client "HTTP/1.0 200 OK\\r\\nContent-Length: " . length($body) . "\\r\\nConnection: close\\r\\n\\r\\n$body";
  close $client;
}
`,
  );
  return dir;
}

/** One GET on a connection of its own; its body (at most 4 KiB). */
export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.slice(0, 4096 - body.length)));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer in 5 s`)));
    req.on('error', reject);
  });
}
