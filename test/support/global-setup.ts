/**
 * Once per `vitest run`, before any file: the Debian base image that many tests start containers
 * from (and build the router on). Files run in parallel, so a file that uses BASE_IMAGE without making
 * it would otherwise pass or fail by the order the files happen to start in on a new machine.
 * Once after the last file: the test cluster those files started is stopped.
 */
import { dockerAvailable, ensureBaseImage } from './images';
import { stopUnheldTestCluster } from './k8s';

export default async function setup(): Promise<() => Promise<void>> {
  // After the last file: the test cluster, if this run's files started it (see test/support/k8s).
  const teardown = () => stopUnheldTestCluster((line) => console.log(`test cluster: ${line}`));
  if (!(await dockerAvailable())) return teardown; // the tests that need the engine skip, saying so
  await ensureBaseImage();
  return teardown;
}
