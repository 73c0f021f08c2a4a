/** Entry point of the `deis` CLI (started by resources/bin/deis): run the command, exit with its code. */
import { dispatch } from './dispatch';

/**
 * A reader that stopped reading (`deis info | head -1`, a pager quit early) is not an error: the
 * CLI ends quietly with status 0, as Unix tools do, whatever command was running (a followed log
 * or a streaming `deis run` included). A closed stderr only loses what would have gone there.
 */
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
  throw err;
});
process.stderr.on('error', () => undefined);

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
