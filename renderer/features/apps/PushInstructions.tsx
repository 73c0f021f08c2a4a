/** How to push an app with git: its remote on the builder, and the commands, each with a copy button. */
import { gitRemote } from '../../src/format';
import { Code } from '../../src/ui/common';

export function PushInstructions({ app, builderPort }: { app: string; builderPort: number }) {
  const remote = gitRemote(app, builderPort);
  return (
    <div className="push">
      <p>
        Git remote: <code data-testid="git-remote">{remote}</code>
      </p>
      <Code
        text={`deis keys:add ~/.ssh/id_ed25519.pub   # once: let the builder know your key\ngit remote add deis ${remote}\ngit push deis main`}
      />
    </div>
  );
}
