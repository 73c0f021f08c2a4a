/** builds:* — list builds and create one from a Docker image (`deis pull`). */
import fs from 'node:fs';
import path from 'node:path';
import type { Build } from '../../contract/objects';
import { APP_OPTION, LIMIT_OPTION, type Command, type Topic } from '../command';
import { limitCount } from '../output';
import { parseProcfile } from '../procfile';

const list: Command = {
  name: 'builds:list',
  summary: 'list build history for an application',
  description: 'Lists build history for an application.',
  options: [APP_OPTION, LIMIT_OPTION],
  async run(ctx, input) {
    const app = ctx.app(input);
    const page = await ctx.client().list<Build>(`/v2/apps/${app}/builds/`, ctx.limit(input));
    ctx.out.print(`=== ${app} Builds${limitCount(page.results.length, page.count)}`);
    for (const b of page.results) ctx.out.println(b.uuid, b.created);
  },
};

const create: Command = {
  name: 'builds:create',
  summary: 'imports an image and deploys as a new release',
  description:
    'Creates a new build of an application. Imports an <image> and deploys it to Deis\nas a new release.',
  args: [
    {
      name: 'image',
      help: 'A fully-qualified docker image, either from Docker Hub (e.g. deis/example-go:latest)\n    or from an in-house registry (e.g. myregistry.example.com:5000/example-go:latest).\n    This image must include the tag.',
    },
  ],
  options: [
    { ...APP_OPTION, help: 'The uniquely identifiable name for the application.' },
    {
      long: 'procfile',
      short: 'p',
      value: '<procfile>',
      help: 'A YAML string used to supply a Procfile to the application.',
    },
  ],
  async run(ctx, input) {
    const app = ctx.app(input);
    let text = input.opt('procfile');
    const local = path.join(ctx.cwd, 'Procfile');
    if (!text && fs.existsSync(local)) text = fs.readFileSync(local, 'utf8');
    const procfile = text ? parseProcfile(text) : {};
    ctx.out.print('Creating build... ');
    await ctx.out.progress(
      ctx.client().post(`/v2/apps/${app}/builds/`, { image: input.arg('image'), procfile }),
    );
    ctx.out.println('done');
  },
};

export const buildsTopic: Topic = {
  name: 'builds',
  summary: "manage builds created using 'git push'",
  commands: [list, create],
  defaultCommand: 'builds:list',
};
