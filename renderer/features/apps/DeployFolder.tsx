/** Deploy a local folder without git commands: a path (or the native picker) and the live build. */
import { useEffect, useRef, useState } from 'react';
import { messageOf } from '../../src/api';
import { bridge } from '../../src/native';
import { Button, Notice } from '../../src/ui/common';
import { useTasks } from '../tasks/store';
import { TaskView } from '../tasks/TaskView';
import { useApps } from './store';

export function DeployFolder({ app, onDone }: { app: string; onDone?: () => void }) {
  const deploy = useApps((s) => s.deploy);
  const [path, setPath] = useState('');
  const [taskId, setTaskId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const native = bridge();
  const finished = useTasks((s) => (taskId ? s.tasks[taskId]?.state : undefined));
  // The app's release and processes change once the build is done, not when it starts.
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (!taskId || !finished || finished === 'running' || reported.current === taskId) return;
    reported.current = taskId;
    onDone?.();
  }, [taskId, finished, onDone]);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setTaskId(await deploy(app, path.trim()));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="deploy">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <input
          className="grow mono"
          aria-label="Folder to deploy"
          placeholder="/home/me/projects/my-app"
          value={path}
          onChange={(e) => setPath(e.target.value)}
        />
        {native && (
          <Button onClick={() => void native.pickFolder().then((p) => p && setPath(p))}>Choose…</Button>
        )}
        <Button type="submit" kind="primary" busy={busy} disabled={!path.trim()}>
          Deploy folder
        </Button>
      </form>
      <p className="muted small">
        The folder's files are committed in Deis Desktop's own copy of the app's repository (its .gitignore
        applies; your .git is not touched), then built and released like a git push.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {taskId && <TaskView id={taskId} />}
    </div>
  );
}
