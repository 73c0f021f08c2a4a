import { describe, expect, it } from 'vitest';
import { parseProcfile, ProcfileError, releaseProcessTypes } from '../../main/builder/procfile';

describe('parseProcfile', () => {
  it('reads type: command lines, skipping comments, blanks and a YAML document marker', () => {
    const text =
      '---\n# processes\nweb: node server.js --port $PORT\n\nworker:   "python worker.py"\r\nclock: bin/clock # every minute\n';
    expect(parseProcfile(text)).toEqual({
      web: 'node server.js --port $PORT',
      worker: 'python worker.py',
      clock: 'bin/clock # every minute',
    });
  });

  it('refuses process types Deis refuses, saying which and why', () => {
    expect(() => parseProcfile('Web: x\n')).toThrow(ProcfileError);
    expect(() => parseProcfile('web_1: x\n')).toThrow(/"web_1" is invalid/);
    expect(() => parseProcfile('-web: x\n')).toThrow(/invalid/);
    expect(parseProcfile('worker-2: x\n')).toEqual({ 'worker-2': 'x' });
  });

  it('refuses lines that are not type: command, and empty commands', () => {
    expect(() => parseProcfile('web node server.js\n')).toThrow(/line 1 is not "type: command"/);
    expect(() => parseProcfile('web:\n')).toThrow(/"web" has no command/);
  });
});

describe('releaseProcessTypes', () => {
  it("reads default_process_types from a buildpack's bin/release YAML", () => {
    const yaml =
      '---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: "node worker.js"\nconfig_vars:\n  A: b\n';
    expect(releaseProcessTypes(yaml)).toEqual({ web: 'npm start', worker: 'node worker.js' });
  });

  it('gives no process types for an empty mapping or none at all', () => {
    expect(releaseProcessTypes('--- {}\n')).toEqual({});
    expect(releaseProcessTypes('---\ndefault_process_types: {}\n')).toEqual({});
    expect(releaseProcessTypes('')).toEqual({});
  });
});
