/** Attachments under way: provisioning with its live steps, then attaching, then the variable set. */
import { useEffect } from 'react';
import { Badge, Notice, Spinner } from '../../src/ui/common';
import { useTasks } from '../tasks/store';
import { TaskSteps } from '../tasks/TaskView';
import { useServices, type AttachJob } from './store';

function Phase({ job }: { job: AttachJob }) {
  switch (job.phase) {
    case 'provisioning':
      return (
        <Badge tone="busy">
          <Spinner /> provisioning
        </Badge>
      );
    case 'attaching':
      return (
        <Badge tone="busy">
          <Spinner /> attaching
        </Badge>
      );
    case 'attached':
      return <Badge tone="ok">attached</Badge>;
    case 'failed':
      return <Badge tone="bad">failed</Badge>;
  }
}

function Job({ job }: { job: AttachJob }) {
  const task = useTasks((s) => (job.task ? s.tasks[job.task] : undefined));
  const watch = useTasks((s) => s.watch);
  const dismiss = useServices((s) => s.dismiss);
  const title = useServices((s) => s.catalog.find((k) => k.kind === job.kind)?.title ?? job.kind);
  useEffect(() => {
    if (job.task) void watch(job.task).catch(() => undefined);
  }, [job.task, watch]);
  const done = job.phase === 'attached' || job.phase === 'failed';
  return (
    <li className="svc-job" data-testid={`job-${job.app}`} data-phase={job.phase}>
      <div className="task-head">
        <strong>
          {job.service || `New ${title}`} → {job.app}
        </strong>
        <Phase job={job} />
        {done && (
          <button
            type="button"
            className="btn btn-plain btn-small"
            onClick={() => dismiss(job.id)}
            aria-label={`Dismiss ${job.service || title} → ${job.app}`}
          >
            Dismiss
          </button>
        )}
      </div>
      {task && job.phase === 'provisioning' && <TaskSteps task={task} />}
      {job.phase === 'attached' && (
        <Notice kind="success">
          {job.service} is attached to {job.app} as <code>{job.var}</code>; {job.app} now runs release v
          {job.release}.
        </Notice>
      )}
      {job.phase === 'failed' && <Notice kind="error">{job.error}</Notice>}
    </li>
  );
}

/** The jobs of one app, or all of them. */
export function Jobs({ app }: { app?: string }) {
  const jobs = useServices((s) => s.jobs);
  const shown = app ? jobs.filter((j) => j.app === app) : jobs;
  if (!shown.length) return null;
  return (
    <ul className="svc-jobs" aria-live="polite" aria-label="Attachments under way">
      {shown.map((j) => (
        <Job key={j.id} job={j} />
      ))}
    </ul>
  );
}
