/**
 * Once per `vitest run`, before any file: the Debian base image that many tests start containers
 * from (and build the router on). Files run in parallel, so a file that uses BASE_IMAGE without making
 * it would otherwise pass or fail by the order the files happen to start in on a new machine.
 */
import { dockerAvailable, ensureBaseImage } from './images';

export default async function setup(): Promise<void> {
  if (!(await dockerAvailable())) return; // the tests that need the engine skip, saying so
  await ensureBaseImage();
}
