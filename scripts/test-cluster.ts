/**
 * The test cluster by hand: `npm run test-cluster -- build | start | status | stop`.
 * `start` prints lines a shell can eval: eval "$(npm run -s test-cluster -- start)".
 */
import { buildCluster, isBuilt } from '../test/support/k8s/build';
import { clusterStatus, startCluster, stopCluster } from '../test/support/k8s/cluster';
import { versionDir } from '../test/support/k8s/paths';

const say = (line: string) => process.stderr.write(`test-cluster: ${line}\n`);
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'build': {
      if (isBuilt()) {
        say(`already built in ${versionDir()}`);
        return 0;
      }
      const started = Date.now();
      const steps = await buildCluster(say);
      say(
        `built in ${Math.round((Date.now() - started) / 1000)} s: ${steps.map((s) => `${s.step} ${s.seconds} s`).join(', ')}`,
      );
      return 0;
    }
    case 'start': {
      if (!isBuilt()) {
        const steps = await buildCluster(say);
        say(`built: ${steps.map((s) => `${s.step} ${s.seconds} s`).join(', ')}`);
      }
      const info = await startCluster(say);
      say(`ready in ${info.startSeconds} s; stop it with: npm run test-cluster -- stop`);
      process.stdout.write(
        [
          `export KUBECONFIG=${quote(info.kubeconfig)}`,
          `export DEIS_REGISTRY=${quote(info.registry)}`,
          `export DEIS_REGISTRY_USERNAME=${quote(info.registryUsername)}`,
          `export DEIS_REGISTRY_PASSWORD=${quote(info.registryPassword)}`,
          '',
        ].join('\n'),
      );
      return 0;
    }
    case 'status': {
      const status = clusterStatus();
      process.stdout.write(`${status.state}\n`);
      for (const d of status.daemons)
        process.stdout.write(
          `  ${d.name.padEnd(24)} pid ${String(d.pid).padEnd(8)} ${d.running ? 'running' : 'gone'}\n`,
        );
      if (status.info) {
        process.stdout.write(
          `  api server ${status.info.server}, registry ${status.info.registry}, pods ${status.info.podCidr}, services ${status.info.serviceCidr}\n`,
        );
        process.stdout.write(
          `  KUBECONFIG=${status.info.kubeconfig}\n  resident memory ${status.residentMiB} MiB\n`,
        );
      }
      return status.state === 'broken' ? 1 : 0;
    }
    case 'stop': {
      const warnings = await stopCluster(say);
      say(
        warnings.length === 0
          ? 'stopped; host settings restored'
          : `stopped with ${warnings.length} warning(s)`,
      );
      return warnings.length === 0 ? 0 : 1;
    }
    default:
      process.stderr.write('usage: npm run test-cluster -- build | start | status | stop\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: Error) => {
    say(err.message);
    process.exit(1);
  },
);
