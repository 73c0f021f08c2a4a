/** One long task as it happens: its named steps with elapsed time, its live lines and how it ended. */
import { useEffect, useRef } from 'react';
import type { Task } from '../../../main/contract/tasks';
import { elapsed } from '../../src/format';
import { Badge, Notice, Spinner } from '../../src/ui/common';
import { useTasks } from './store';

export function TaskState({ task }: { task: Task }) {
  if (task.state === 'running')
    return (
      <Badge tone="busy">
        <Spinner /> running
      </Badge>
    );
  return <Badge tone={task.state === 'succeeded' ? 'ok' : 'bad'}>{task.state}</Badge>;
}

export function TaskSteps({ task }: { task: Task }) {
  return (
    <ol className="steps">
      {task.steps.map((step, i) => (
        <li key={i} className={step.elapsedMs === undefined ? 'step-running' : 'step-done'}>
          <span className="step-name">{step.name}</span>
          <span className="step-time">
            {step.elapsedMs === undefined
              ? task.state === 'running'
                ? 'running…'
                : ''
              : elapsed(step.elapsedMs)}
          </span>
        </li>
      ))}
    </ol>
  );
}

export function LogPane({ lines, follow = true }: { lines: string[]; follow?: boolean }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (follow && ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [lines.length, follow]);
  return (
    // Focusable, so the keyboard can scroll it (axe: scrollable-region-focusable).
    <pre className="log" ref={ref} data-testid="log" tabIndex={0}>
      {lines.length ? lines.join('\n') : 'No output yet.'}
    </pre>
  );
}

export function TaskView({ id }: { id: string }) {
  const task = useTasks((s) => s.tasks[id]);
  const lines = useTasks((s) => s.logs[id]) ?? [];
  const watch = useTasks((s) => s.watch);
  useEffect(() => {
    void watch(id);
  }, [id, watch]);
  if (!task) return <Spinner />;
  return (
    <div className="task" data-testid="task" data-state={task.state}>
      <div className="task-head">
        <strong>{task.title}</strong>
        <TaskState task={task} />
      </div>
      <TaskSteps task={task} />
      <LogPane lines={lines} />
      {task.state === 'failed' && (
        <Notice kind="error">{task.error ?? 'It failed; the log above says why.'}</Notice>
      )}
      {task.state === 'succeeded' && <Notice kind="success">{task.title} finished.</Notice>}
    </div>
  );
}
