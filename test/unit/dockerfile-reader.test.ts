// The Dockerfile reader, Docker's variable substitution, image references and the address check of
// ADD downloads: tricky inputs read as the Docker engine 20.10 reads them.
import fc from 'fast-check';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { isHostOnlyAddress } from '../../main/builder/dockerfile/fetch';
import { listArgs, parseDockerfile, splitWords } from '../../main/builder/dockerfile/parse';
import { planBuild, type PlanContext } from '../../main/builder/dockerfile/plan';
import { parseImageRef } from '../../main/builder/dockerfile/reference';
import { literalWord, processWord, UNKNOWN, type Lookup } from '../../main/builder/dockerfile/words';

const env =
  (vars: Record<string, string>, unknown: string[] = []): Lookup =>
  (name) =>
    unknown.includes(name) ? UNKNOWN : name in vars ? vars[name]! : null;
const word = (w: string, vars: Record<string, string> = {}, escape = '\\', unknown: string[] = []) =>
  processWord(w, env(vars, unknown), escape, { left: 1e6 });

describe('reading a Dockerfile', () => {
  it('joins continuations, skipping comments and blank lines inside them, and keeps the logical line', () => {
    const df = parseDockerfile('FROM x\nRUN a \\\n# a comment\n\n  b \\  \n\tc\nadd  s d\n');
    expect(df.instructions.map((i) => [i.keyword, i.line, i.startLine])).toEqual([
      ['from', 'FROM x', 1],
      ['run', 'RUN a   b \tc', 2],
      ['add', 'add  s d', 7],
    ]);
  });

  it('honours # escape=` at the top only, where \\ is then an ordinary character', () => {
    const df = parseDockerfile('# escape=`\nFROM x\nRUN a \\\nADD b c `\n  d\n');
    expect(df.escape).toBe('`');
    expect(df.instructions.map((i) => i.line)).toEqual(['FROM x', 'RUN a \\', 'ADD b c   d']);
    // After anything else it is a comment.
    expect(parseDockerfile('# hello\n# escape=`\nFROM x\n').escape).toBe('\\');
    expect(() => parseDockerfile('# escape=`\n# escape=\\\nFROM x\n')).toThrow(/only one escape/);
  });

  it('reads CRLF files, a byte-order mark, and instruction names in any case', () => {
    const df = parseDockerfile('\uFEFFfRoM x\r\nAdD a \\\r\n b\r\n');
    expect(df.instructions.map((i) => [i.keyword, i.args])).toEqual([
      ['from', 'x'],
      ['add', 'a  b'],
    ]);
  });

  it('takes leading --flags (quoted too) off the arguments, and stops at -- or a word without --', () => {
    const [ins] = parseDockerfile('COPY --from="a b" --chown=1:1 -- --x y\n').instructions;
    expect(ins!.flags).toEqual([
      { name: 'from', value: 'a b' },
      { name: 'chown', value: '1:1' },
    ]);
    expect(ins!.args).toBe('--x y');
  });

  it('uses the JSON form when the arguments are a JSON array of strings, and only then', () => {
    expect(listArgs('["a b", "c"] trailing')).toEqual({ words: ['a b', 'c'], json: true });
    expect(listArgs('[a, b]')).toEqual({ words: ['[a,', 'b]'], json: false });
    expect(listArgs('a\t b')).toEqual({ words: ['a', 'b'], json: false });
    expect(() => listArgs('["a", 1]')).toThrow(/strings only/);
    expect(listArgs('["\\u0068ttp://x/", "\\ud800"]').words).toEqual(['http://x/', '\uFFFD']);
  });

  it('splits ENV/ARG words keeping quotes and escapes for substitution', () => {
    expect(splitWords('a="b c" d=e\\ f \'g h\'', '\\')).toEqual(['a="b c"', 'd=e\\ f', "'g h'"]);
  });
});

describe("Docker's variable substitution", () => {
  const vars = { A: 'http://127.0.0.1', E: '', N: '5' };
  it.each([
    ['$A/x', 'http://127.0.0.1/x'],
    ['${A}/x', 'http://127.0.0.1/x'],
    ['${U:-http://x}', 'http://x'],
    ['${E:-d}', 'd'],
    ['${A:-d}', 'http://127.0.0.1'],
    ['${A:+set}', 'set'],
    ['${E:+set}', ''],
    ['${U:+set}', ''],
    ['\\$A', '$A'],
    ["'$A'", '$A'],
    ['"$A"', 'http://127.0.0.1'],
    ['"a\\"b\\$A\\x"', 'a"b$A\\x'],
    ['$A_b', ''],
    ['$1$N', '5'],
    ['a$', 'a$'],
    ['${U:-${A}}', 'http://127.0.0.1'],
    ['\uFEFFhttp://x', 'http://x'],
  ])('%s', (w, expected) => {
    expect(word(w, vars)).toEqual({ value: expected });
  });

  it('with ` as the escape character', () => {
    expect(word('`$A\\', vars, '`')).toEqual({ value: '$A\\' });
  });

  it('refuses what Docker refuses', () => {
    for (const w of ['${A', '${}', '${A-x}', '${A#x}', "'open", '"open', '${U:?must be set}'])
      expect(() => word(w, vars)).toThrow();
  });

  it('is unknown when the value depends on an unknown variable, and certain when it does not', () => {
    expect(word('$X/y', {}, '\\', ['X'])).toEqual({ unknown: 'X' });
    expect(word('${A:-$X}', vars, '\\', ['X'])).toEqual({ value: 'http://127.0.0.1' });
    expect(word('${U:-$X}', vars, '\\', ['X'])).toEqual({ unknown: 'X' });
  });

  it('writes back any value as a word that substitutes to exactly that value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.constantFrom('\\', '`'), (s, escape) => {
        fc.pre(!s.includes('\0'));
        expect(word(literalWord(s, escape), { A: 'x' }, escape)).toEqual({ value: s });
      }),
      { numRuns: 500 },
    );
  });

  it('stops a substitution that grows without bound', () => {
    expect(() => processWord('$A$A$A$A', env({ A: 'x'.repeat(1000) }), '\\', { left: 3000 })).toThrow(
      /too much/,
    );
  });
});

describe('image references', () => {
  it('normalises names as Docker does', () => {
    expect(parseImageRef('debian')).toEqual({ kind: 'named', domain: 'docker.io', path: 'library/debian' });
    expect(parseImageRef('deis-desktop/stack:bookworm')).toMatchObject({
      domain: 'docker.io',
      tag: 'bookworm',
    });
    expect(parseImageRef('localhost:5000/x')).toMatchObject({ domain: 'localhost:5000', path: 'x' });
    expect(parseImageRef('127.0.0.1:5000/x')).toMatchObject({ domain: '127.0.0.1:5000' });
    expect(parseImageRef('localhost/x')).toMatchObject({ domain: 'localhost' });
    expect(parseImageRef('index.docker.io/x')).toMatchObject({ domain: 'docker.io', path: 'library/x' });
    expect(parseImageRef('a'.repeat(64))).toEqual({ kind: 'id', id: `sha256:${'a'.repeat(64)}` });
    expect(() => parseImageRef('Upper/x')).toThrow(/lowercase/);
    expect(() => parseImageRef('[::1]:5000/x')).toThrow();
  });
});

describe('the peer address check of ADD downloads', () => {
  it('refuses loopback and unspecified addresses in every notation, and nothing else', () => {
    for (const a of [
      '127.0.0.1',
      '127.255.0.9',
      '0.0.0.0',
      '0.1.2.3',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '::127.0.0.1',
    ])
      expect(isHostOnlyAddress(a), a).toBe(true);
    for (const a of ['172.17.0.1', '10.0.0.1', '192.0.2.2', '::ffff:172.17.0.1', '2001:db8::1', 'fe80::1'])
      expect(isHostOnlyAddress(a), a).toBe(false);
  });
});

describe('planning a build (no image lookups: FROM scratch and stages)', () => {
  const uuid = '6f1c2e4a-0b7d-4c3e-9a15-2d8e7f0c1b3a';
  // Every stage's RUN cache is keyed by the app: the line that follows each FROM.
  const scope = `ARG DEIS_BUILD_SCOPE=${uuid}`;
  const ctx = (buildArgs: Record<string, string> = {}): PlanContext => ({
    docker: undefined as unknown as Docker,
    app: 'a',
    appUuid: uuid,
    instance: 'i',
    trusted: false,
    buildArgs,
    say: () => {},
  });
  const urls = async (text: string, buildArgs?: Record<string, string>) =>
    (await planBuild(text, ctx(buildArgs))).remotes.map((r) => r.url);

  it('finds the URL behind ARG defaults, build args, ENV and stages', async () => {
    expect(await urls('ARG H=127.0.0.1\nFROM scratch\nARG H\nADD http://$H/a /a\n')).toEqual([
      'http://127.0.0.1/a',
    ]);
    expect(await urls('FROM scratch\nARG U=x\nADD $U /a\n', { U: 'https://127.0.0.1/' })).toEqual([
      'https://127.0.0.1/',
    ]);
    expect(await urls('FROM scratch\nARG U=x\nADD $U /a\n')).toEqual([]);
    expect(await urls('FROM scratch AS one\nENV U=http://127.0.0.1/s\nFROM one\nADD ${U} /a\n')).toEqual([
      'http://127.0.0.1/s',
    ]);
    // ENV wins over ARG, and each ENV line sees the values from before it.
    expect(await urls('FROM scratch\nARG U=http://a/\nENV U=http://b/ V=$U\nADD $V $U /d/\n')).toEqual([
      'http://a/',
      'http://b/',
    ]);
  });

  it('rewrites ADD <url> into a COPY from the downloads image, keeping local sources as ADD', async () => {
    const plan = await planBuild('FROM scratch\nADD --chown=1:2 a.tar http://h/f.txt /d/\n', ctx());
    expect(plan.render(new Map([[0, 'f.txt']]), 'sha256:' + 'f'.repeat(64)).split('\n')).toEqual([
      'FROM scratch',
      scope,
      expect.stringMatching(/^LABEL io\.deis-desktop\.instance=i /),
      'ADD --chown=1:2 a.tar /d/',
      `COPY --from=sha256:${'f'.repeat(64)} --chown=1:2 /0/f.txt /d/`,
      '',
    ]);
  });

  it('refuses what it cannot be sure of, and what the engine would fetch itself', async () => {
    await expect(planBuild('FROM scratch\nADD ftp://h/x /x\n', ctx())).rejects.toThrow(/only http/);
    await expect(planBuild('FROM scratch\nADD HTTP://h/x /x\n', ctx())).rejects.toThrow(/only http/);
    await expect(planBuild('FROM scratch\nADD a http://h/x /x\n', ctx())).rejects.toThrow(/end with a \//);
    await expect(planBuild('FROM scratch\nADD ${U:?unset} /x\n', ctx())).rejects.toThrow(/U: unset/);
    await expect(
      planBuild('FROM scratch AS one\nONBUILD ADD http://127.0.0.1/ /x\nFROM one\n', ctx()),
    ).rejects.toThrow(/trigger .*fetch a URL/);
    await expect(planBuild('FROM scratch\nCOPY --from=1 a b\n', ctx())).rejects.toThrow(/out of bounds/);
    await expect(planBuild('FROM scratch\nCOPY --from=0 a b\n', ctx())).rejects.toThrow(
      /current build stage/,
    );
    await expect(planBuild('FROM scratch\nRUN --network=host x\nBOGUS x\n', ctx())).rejects.toThrow(
      /unknown instruction/,
    );
    await expect(planBuild('FROM scratch\nADD --chmod=600 a b\n', ctx())).rejects.toThrow(/BuildKit/);
  });

  it('writes every instruction on one line that reads back the same', async () => {
    const plan = await planBuild(
      '# escape=`\nFROM scratch AS b\nRUN echo \\\nCOPY ["a b", "$x"] `\n  /d/\nFROM b\nCOPY --from=B c d\nONBUILD COPY x y\n',
      ctx(),
    );
    expect(plan.render(new Map(), '').split('\n')).toEqual([
      '# escape=`',
      'FROM scratch AS b',
      scope,
      'RUN echo \\',
      // Docker reads the first JSON value and ignores what follows it: "/d/" is not an argument.
      'COPY ["a b","$x"]',
      'FROM b',
      scope,
      expect.stringMatching(/^LABEL /),
      'COPY --from=0 c d',
      'ONBUILD COPY ["x","y"]',
      '',
    ]);
  });

  it("puts our labels right after the last stage's FROM, where the engine's cache keeps them", async () => {
    const plan = await planBuild('FROM scratch AS one\nRUN a\nFROM one\nLABEL team=web\nCOPY x /x\n', ctx());
    expect(plan.render(new Map(), '').split('\n')).toEqual([
      'FROM scratch AS one',
      scope,
      'RUN a',
      'FROM one',
      scope,
      `LABEL io.deis-desktop.instance=i io.deis-desktop.role=image io.deis-desktop.app=a io.deis-desktop.app-uuid=${uuid}`,
      'LABEL team=web',
      'COPY x /x',
      '',
    ]);
  });

  it('refuses LABELs of the app that use our names, however they are written', async () => {
    const ours =
      /LABEL io\.deis-desktop\.app-uuid: names under io\.deis-desktop\. are set by Deis Desktop itself/i;
    for (const text of [
      'FROM scratch\nLABEL io.deis-desktop.app-uuid=other\n',
      'FROM scratch\nLABEL team=web "io.deis-desktop.app-uuid"=other\n',
      'FROM scratch\nLABEL io.deis-desktop.app-uuid other\n',
      'FROM scratch\nARG K=io.deis-desktop.app-uuid\nLABEL $K=other\n',
      'FROM scratch\nENV P=io.deis-desktop\nLABEL ${P}.app-uuid=other\n',
      'FROM scratch\nLABEL IO.Deis-Desktop.App-Uuid=other\n',
      // An earlier stage is not the image that is tagged, but no stage may claim our names.
      'FROM scratch AS one\nLABEL io.deis-desktop.app-uuid=other\nFROM scratch\n',
    ])
      await expect(planBuild(text, ctx()), text).rejects.toThrow(ours);
    await expect(planBuild('FROM scratch\nLABEL io.deis-desktop.role=process\n', ctx())).rejects.toThrow(
      /io\.deis-desktop\.role: names under io\.deis-desktop\./,
    );
    // Build args (config values, when the app enables them) are expanded as the engine does.
    await expect(
      planBuild('FROM scratch\nARG K\nLABEL $K=x\n', ctx({ K: 'io.deis-desktop.app-uuid' })),
    ).rejects.toThrow(ours);
    // Other names, and our prefix in a value, are the app's to use.
    await expect(
      planBuild(
        'FROM scratch\nLABEL org.opencontainers.image.source=io.deis-desktop.app-uuid team=web\n',
        ctx(),
      ),
    ).resolves.toBeDefined();
  });
});
