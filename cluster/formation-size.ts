/** How many processes any target runs for one app (the API refuses more before a target is asked). */
import { MAX_PROCESSES_PER_APP, MAX_PROCESSES_PER_TYPE } from '../main/contract/limits';
import { TargetError } from './target';

/** Throws TargetError `invalid` for a formation no target will run, whoever asks. */
export function checkFormationSize(app: string, formation: Record<string, number>): void {
  let total = 0;
  for (const [type, count] of Object.entries(formation)) {
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_PROCESSES_PER_TYPE)
      throw new TargetError(
        'invalid',
        `${app} cannot run ${count} ${type} processes: a type may have 0 to ${MAX_PROCESSES_PER_TYPE}.`,
      );
    total += count;
  }
  if (total > MAX_PROCESSES_PER_APP)
    throw new TargetError(
      'invalid',
      `${app} cannot run ${total} processes: an app may have at most ${MAX_PROCESSES_PER_APP}.`,
    );
}
