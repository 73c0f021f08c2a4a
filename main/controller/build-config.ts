/**
 * Config values the builder acts on, checked when they are set: a BUILDPACK_URL the builder would
 * refuse is refused here with the reason, so nothing is stored and no release is cut for it.
 */
import type { ConfigMapChange } from '../contract/config';
import { buildpackUrlProblem } from '../contract/buildpack-url';
import { invalid } from '../contract/errors';

/** Throws a 400 on `values` when a value the builder uses is not one it would accept. */
export function checkBuildConfig(values: ConfigMapChange | undefined): void {
  const url = values?.BUILDPACK_URL;
  if (url === undefined || url === null) return;
  const problem = buildpackUrlProblem(url);
  if (problem) throw invalid('values', problem);
}
