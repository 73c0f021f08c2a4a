/** Entry point of the `deis` CLI (started by resources/bin/deis): run the command, exit with its code. */
import { dispatch } from './dispatch';

dispatch(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain, then leave even if a prompt left stdin open.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`Error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
