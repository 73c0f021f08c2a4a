/** The difference between two releases' config values, key by key. */

export type ChangeKind = 'added' | 'removed' | 'changed' | 'same';

export interface ConfigChange {
  key: string;
  before?: string;
  after?: string;
  kind: ChangeKind;
}

export function diffConfig(before: Record<string, string>, after: Record<string, string>): ConfigChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.map((key) => {
    const b = before[key];
    const a = after[key];
    const kind: ChangeKind =
      b === undefined ? 'added' : a === undefined ? 'removed' : a === b ? 'same' : 'changed';
    return { key, before: b, after: a, kind };
  });
}
