/** The command and topic types every topic file uses, and the options many commands share. */
import type { CommandSpec, OptionSpec } from './args';
import type { Context } from './context';

export type Command = CommandSpec<Context>;

export interface Topic {
  name: string;
  /** The line in `deis help`'s list of subcommands. */
  summary: string;
  commands: Command[];
  /** What `deis <topic>` alone runs; topics without one print their command list. */
  defaultCommand?: string;
}

export const APP_OPTION: OptionSpec = {
  long: 'app',
  short: 'a',
  value: '<app>',
  help: 'the uniquely identifiable name for the application.',
};

export const LIMIT_OPTION: OptionSpec = {
  long: 'limit',
  short: 'l',
  value: '<num>',
  help: 'the maximum number of results to display, defaults to config setting',
};
