/**
 * The Targets screen: every place apps run, with its state in words, server, version, registry,
 * router and app count. Administrators add a Kubernetes cluster from a kubeconfig file (its context
 * chosen from the file's), watch the checks run as a task with named steps, test again and remove
 * (typing the name to confirm). A local kind cluster is adopted or created as a target with kind's
 * steps live, started and stopped from its row, and deleted with the target only when asked.
 * Everyone else sees the list.
 */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { KIND_CLUSTER_MESSAGE, KIND_CLUSTER_RE } from '../../../main/contract/targets';
import { messageOf } from '../../src/api';
import { Badge, Button, Empty, Notice, Section } from '../../src/ui/common';
import { useSession } from '../session/store';
import { TaskView } from '../tasks/TaskView';
import { Dialog } from './Dialog';
import {
  kindWords,
  readKubeconfig,
  REGISTRY_PASSWORD_MAX,
  stateWords,
  targetNameProblem,
  useTargets,
  type KubeContexts,
  type PowerResult,
  type Target,
  type TargetCheck,
} from './store';
import { targetTaskIds, useNewTask } from './watch';
import './targets.css';

function Checks({ checks }: { checks: TargetCheck[] }) {
  return (
    <ul className="tg-checks" data-testid="target-checks">
      {checks.map((c) => (
        <li key={c.name} className={c.ok ? 'tg-ok' : 'tg-failed'}>
          <strong>{c.ok ? 'ok' : 'failed'}</strong> {c.message}
        </li>
      ))}
    </ul>
  );
}

/** The task of a running request, found by title once the core has started it; then its own id. */
function LiveTask({
  title,
  before,
  settled,
  id,
}: {
  title: string;
  before: Set<string> | null;
  settled: boolean;
  id?: string;
}) {
  const found = useNewTask(id ? null : title, before, settled);
  const shown = id ?? found;
  return shown ? <TaskView id={shown} /> : null;
}

function Field({
  label,
  children,
  hint,
}: {
  label: string;
  children: (id: string) => ReactNode;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="tg-field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <div className="muted small">{hint}</div>}
    </div>
  );
}

/** A text field whose value is checked as it is typed; the problem is announced with the field. */
function CheckedField({
  label,
  hint,
  value,
  onChange,
  problem,
  maxLength,
  placeholder,
}: {
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  problem: string | null;
  maxLength?: number;
  placeholder?: string;
}) {
  return (
    <Field label={label} hint={hint}>
      {(id) => (
        <>
          <input
            id={id}
            value={value}
            maxLength={maxLength}
            placeholder={placeholder}
            onChange={(e) => onChange(e.target.value)}
            aria-invalid={!!problem}
            aria-describedby={problem ? `${id}-problem` : undefined}
          />
          {problem && (
            <div className="field-error" id={`${id}-problem`}>
              {problem}
            </div>
          )}
        </>
      )}
    </Field>
  );
}

function AddTargetDialog({ onClose }: { onClose: () => void }) {
  const add = useTargets((s) => s.add);
  const listContexts = useTargets((s) => s.contexts);
  const [name, setName] = useState('');
  const [fileName, setFileName] = useState('');
  const [content, setContent] = useState<string | null>(null);
  const [contexts, setContexts] = useState<KubeContexts | null>(null);
  const [context, setContext] = useState('');
  const [fileError, setFileError] = useState<string | null>(null);
  const [registry, setRegistry] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [before, setBefore] = useState<Set<string> | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string; checks: TargetCheck[] } | null>(null);
  const nameProblem = name ? targetNameProblem(name) : null;

  const pick = async (file: File | undefined) => {
    setContexts(null);
    setContent(null);
    setFileError(null);
    if (!file) return;
    setFileName(file.name);
    try {
      const text = await readKubeconfig(file);
      const listed = await listContexts(text);
      setContent(text);
      setContexts(listed);
      setContext(listed.current_context || listed.contexts[0]?.name || '');
    } catch (err) {
      setFileError(messageOf(err));
    }
  };

  const ready = !targetNameProblem(name) && content !== null && registry.trim() !== '';
  const submit = async () => {
    if (!ready || content === null) return;
    setBusy(true);
    setResult(null);
    setBefore(await targetTaskIds());
    try {
      const { target, checks } = await add({
        name,
        kubeconfig_content: content,
        context,
        registry: registry.trim(),
        registry_username: username.trim(),
        registry_password: password,
      });
      setResult({
        ok: true,
        text: `Added ${target.name}${target.server_version ? ` (Kubernetes ${target.server_version})` : ''}.`,
        checks,
      });
      // The password is never kept in the page once it was sent.
      setPassword('');
    } catch (err) {
      setResult({ ok: false, text: messageOf(err), checks: [] });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Add a Kubernetes target" onClose={onClose} testId="add-target-dialog">
      <form
        className="tg-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <CheckedField
          label="Name"
          hint="Lower-case letters, digits and dashes; apps on it are named after it."
          value={name}
          onChange={setName}
          problem={nameProblem}
          maxLength={63}
        />
        <Field
          label="Kubeconfig file"
          hint="Its chosen context is copied into Deis Desktop's data folder; the file itself is only read."
        >
          {(id) => (
            <input
              id={id}
              type="file"
              onChange={(e) => void pick(e.target.files?.[0])}
              aria-describedby={fileError ? `${id}-problem` : undefined}
            />
          )}
        </Field>
        {fileError && <Notice kind="error">{fileError}</Notice>}
        {contexts && (
          <Field label="Context" hint={`${contexts.contexts.length} in ${fileName}`}>
            {(id) => (
              <select id={id} value={context} onChange={(e) => setContext(e.target.value)}>
                {contexts.contexts.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name} — {c.server || 'no server'}
                    {c.current ? ' (current)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field label="Registry" hint="host:port its images are pushed to, which the cluster can pull from.">
          {(id) => (
            <input
              id={id}
              value={registry}
              placeholder="registry.example.com:5000"
              onChange={(e) => setRegistry(e.target.value)}
            />
          )}
        </Field>
        <div className="tg-pair">
          <Field label="Registry username">
            {(id) => (
              <input
                id={id}
                value={username}
                autoComplete="off"
                onChange={(e) => setUsername(e.target.value)}
              />
            )}
          </Field>
          <Field label="Registry password">
            {(id) => (
              <input
                id={id}
                type="password"
                value={password}
                autoComplete="new-password"
                maxLength={REGISTRY_PASSWORD_MAX}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
        </div>
        <div className="row">
          <Button type="submit" kind="primary" busy={busy} disabled={!ready || result?.ok === true}>
            Add and check
          </Button>
          {result?.ok && <Button onClick={onClose}>Done</Button>}
        </div>
      </form>
      {before && <LiveTask title={`Adding the target ${name}`} before={before} settled={!busy} />}
      {result && (
        <div data-testid="add-target-result">
          <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>
          {result.checks.length > 0 && <Checks checks={result.checks} />}
        </div>
      )}
    </Dialog>
  );
}

function AddKindDialog({ onClose }: { onClose: () => void }) {
  const addKind = useTargets((s) => s.addKind);
  const [name, setName] = useState('');
  const [cluster, setCluster] = useState('');
  const [create, setCreate] = useState(false);
  const [registry, setRegistry] = useState('');
  const [busy, setBusy] = useState(false);
  const [before, setBefore] = useState<Set<string> | null>(null);
  const [started, setStarted] = useState<{ name: string; cluster: string; create: boolean } | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string; checks: TargetCheck[] } | null>(null);
  const nameProblem = name ? targetNameProblem(name) : null;
  // The cluster is named after the target unless another name is given.
  const clusterName = cluster.trim() || name;
  const clusterProblem = clusterName && !KIND_CLUSTER_RE.test(clusterName) ? KIND_CLUSTER_MESSAGE : null;
  const ready = !targetNameProblem(name) && !clusterProblem && clusterName !== '';

  const submit = async () => {
    if (!ready) return;
    setBusy(true);
    setResult(null);
    setBefore(await targetTaskIds());
    setStarted({ name, cluster: clusterName, create });
    try {
      const { target, checks } = await addKind({
        name,
        cluster: clusterName,
        create,
        registry: registry.trim(),
      });
      setResult({
        ok: true,
        text: `Added ${target.name} (kind cluster ${clusterName}${target.server_version ? `, Kubernetes ${target.server_version}` : ''}).`,
        checks,
      });
    } catch (err) {
      setResult({ ok: false, text: messageOf(err), checks: [] });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Add a kind cluster" onClose={onClose} testId="add-kind-dialog">
      <p className="small">
        A local Kubernetes cluster made by <span className="mono">kind</span> on this machine's Docker engine.
        Its kubeconfig is kept in Deis Desktop's data folder, never merged into yours.
      </p>
      <form
        className="tg-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <CheckedField
          label="Name"
          hint="The target's name: lower-case letters, digits and dashes."
          value={name}
          onChange={setName}
          problem={nameProblem}
          maxLength={63}
        />
        <CheckedField
          label="kind cluster"
          hint={`The cluster's name in kind; ${name ? `${name}, ` : 'the target name '}when empty.`}
          value={cluster}
          onChange={setCluster}
          problem={clusterProblem}
          placeholder={name || undefined}
        />
        <div className="tg-field">
          <label>
            <input type="checkbox" checked={create} onChange={(e) => setCreate(e.target.checked)} /> Create
            the cluster (it must not exist yet); otherwise an existing one is adopted
          </label>
        </div>
        <Field
          label="Local registry (optional)"
          hint="host:port of the cluster's registry (kind's local-registry recipe); without one, images are loaded into its nodes."
        >
          {(id) => <input id={id} value={registry} onChange={(e) => setRegistry(e.target.value)} />}
        </Field>
        <div className="row">
          <Button type="submit" kind="primary" busy={busy} disabled={!ready || result?.ok === true}>
            {create ? 'Create and add' : 'Add'}
          </Button>
          {result?.ok && <Button onClick={onClose}>Done</Button>}
        </div>
      </form>
      {before && started && (
        <LiveTask
          title={`${started.create ? 'Creating' : 'Adopting'} the kind cluster ${started.cluster} as the target ${started.name}`}
          before={before}
          settled={!busy}
        />
      )}
      {result && (
        <div data-testid="add-kind-result">
          <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>
          {result.checks.length > 0 && <Checks checks={result.checks} />}
        </div>
      )}
    </Dialog>
  );
}

/** Starting or stopping a kind target's nodes, with kind's steps as they happen. */
function PowerPanel({
  target,
  action,
  onClose,
}: {
  target: Target;
  action: 'start' | 'stop';
  onClose: () => void;
}) {
  const power = useTargets((s) => s.power);
  const [before, setBefore] = useState<Set<string> | null>(null);
  const [done, setDone] = useState<PowerResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const ids = await targetTaskIds();
      if (cancelled) return;
      setBefore(ids);
      try {
        const r = await power(target.name, action);
        if (!cancelled) setDone(r);
      } catch (err) {
        if (!cancelled) setError(messageOf(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [target.name, action, power]);
  const verb = action === 'start' ? 'Starting' : 'Stopping';
  return (
    <Dialog title={`${verb} ${target.name}`} onClose={onClose} testId="power-target-dialog">
      {before && (
        <LiveTask
          title={`${verb} the kind cluster ${target.cluster} (${target.name})`}
          before={before}
          settled={done !== null || error !== null}
          id={done?.task}
        />
      )}
      {done && (
        <div data-testid="power-target-result">
          <Notice kind={done.ok ? 'success' : 'error'}>
            {done.ok
              ? `${target.name} ${action === 'start' ? 'started' : 'stopped'}.`
              : `${target.name} could not be ${action === 'start' ? 'started' : 'stopped'}.`}
          </Notice>
          <ul className="tg-checks">
            {done.steps.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </Dialog>
  );
}

function RemoveDialog({ target, onClose }: { target: Target; onClose: () => void }) {
  const remove = useTargets((s) => s.remove);
  const [typed, setTyped] = useState('');
  const [deleteCluster, setDeleteCluster] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await remove(target.name, deleteCluster);
      onClose();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Remove the target ${target.name}`} onClose={onClose} testId="remove-target-dialog">
      <p>
        Deis Desktop forgets this target and removes what it put on it (its router). Apps still running there
        must be destroyed first.
        {target.kind === 'kind' && ' The kind cluster itself is kept unless you ask for it to be deleted.'}
      </p>
      <form
        className="tg-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === target.name) void submit();
        }}
      >
        {target.kind === 'kind' && (
          <div className="tg-field">
            <label>
              <input
                type="checkbox"
                checked={deleteCluster}
                onChange={(e) => setDeleteCluster(e.target.checked)}
              />{' '}
              Also delete the kind cluster {target.cluster} (its nodes and everything on them)
            </label>
          </div>
        )}
        <Field label={`Type ${target.name} to confirm`}>
          {(id) => <input id={id} value={typed} onChange={(e) => setTyped(e.target.value)} />}
        </Field>
        <Button type="submit" kind="danger" busy={busy} disabled={typed !== target.name}>
          {deleteCluster ? `Remove ${target.name} and delete its cluster` : `Remove ${target.name}`}
        </Button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
    </Dialog>
  );
}

function TestPanel({ target, onClose }: { target: Target; onClose: () => void }) {
  const test = useTargets((s) => s.test);
  const [before, setBefore] = useState<Set<string> | null>(null);
  const [done, setDone] = useState<{ ok: boolean; checks: TargetCheck[]; task: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const ids = await targetTaskIds();
      if (cancelled) return;
      setBefore(ids);
      try {
        const r = await test(target.name);
        if (!cancelled) setDone(r);
      } catch (err) {
        if (!cancelled) setError(messageOf(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [target.name, test]);
  return (
    <Dialog title={`Testing ${target.name}`} onClose={onClose} testId="test-target-dialog">
      {before && (
        <LiveTask
          title={`Testing the target ${target.name}`}
          before={before}
          settled={done !== null || error !== null}
          id={done?.task}
        />
      )}
      {done && (
        <div data-testid="test-target-result">
          <Notice kind={done.ok ? 'success' : 'error'}>
            {done.ok ? `${target.name} passed every check.` : `${target.name} failed a check.`}
          </Notice>
          <Checks checks={done.checks} />
        </div>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </Dialog>
  );
}

function TargetRow({
  t,
  admin,
  onTest,
  onRemove,
  onPower,
}: {
  t: Target;
  admin: boolean;
  onTest: () => void;
  onRemove: () => void;
  onPower: (action: 'start' | 'stop') => void;
}) {
  const state = stateWords(t);
  return (
    <tr data-testid={`target-row-${t.name}`}>
      <td>
        <strong>{t.name}</strong>
        {t.default && <div className="muted small">default</div>}
      </td>
      <td>
        {kindWords(t.kind)}
        {t.cluster && <div className="muted small">{t.cluster}</div>}
      </td>
      <td data-testid="target-state">
        <Badge tone={state.tone}>{state.label}</Badge>
        {t.message && <div className="small">{t.message}</div>}
      </td>
      <td className="mono small tg-wrap">
        {t.server || '—'}
        {t.context && <div className="muted">context {t.context}</div>}
      </td>
      <td className="mono small">{t.server_version || '—'}</td>
      <td className="mono small tg-wrap">
        {t.registry || '—'}
        {t.registry_username && <div className="muted">as {t.registry_username}</div>}
      </td>
      <td className="mono small tg-wrap">
        {t.router_url || '—'}
        {t.router_https_url && <div>{t.router_https_url}</div>}
      </td>
      <td data-testid="target-apps">{t.apps}</td>
      {admin && (
        <td className="tg-actions">
          <Button onClick={onTest}>Test</Button>
          {t.kind === 'kind' && (
            <>
              <Button onClick={() => onPower('start')}>
                Start<span className="tg-sr-only"> {t.name}</span>
              </Button>
              <Button onClick={() => onPower('stop')}>
                Stop<span className="tg-sr-only"> {t.name}</span>
              </Button>
            </>
          )}
          {!t.default && (
            <Button kind="danger" onClick={onRemove}>
              Remove<span className="tg-sr-only"> {t.name}</span>
            </Button>
          )}
        </td>
      )}
    </tr>
  );
}

type Open =
  | { kind: 'add' }
  | { kind: 'add-kind' }
  | { kind: 'test'; target: Target }
  | { kind: 'remove'; target: Target }
  | { kind: 'power'; target: Target; action: 'start' | 'stop' }
  | null;

export function TargetsScreen() {
  const targets = useTargets((s) => s.targets);
  const loaded = useTargets((s) => s.loaded);
  const error = useTargets((s) => s.error);
  const load = useTargets((s) => s.load);
  const admin = useSession((s) => s.user?.is_superuser ?? false);
  const [open, setOpen] = useState<Open>(null);
  useEffect(() => {
    void load();
  }, [load]);
  const close = () => {
    setOpen(null);
    void load();
  };

  return (
    <div className="page">
      <h1>Targets</h1>
      <p className="muted">
        Where apps run: the local Docker engine, Kubernetes clusters and local kind clusters added here, and
        Docker hosts over SSH. An app runs on one target; Deploy to… on an app's page sends its current
        release to another.
      </p>
      <Section
        title={`Targets${targets.length ? ` (${targets.length})` : ''}`}
        actions={
          admin ? (
            <div className="row">
              <Button kind="primary" onClick={() => setOpen({ kind: 'add' })}>
                Add a Kubernetes target
              </Button>
              <Button onClick={() => setOpen({ kind: 'add-kind' })}>Add a kind cluster</Button>
            </div>
          ) : undefined
        }
      >
        {error && <Notice kind="error">{error}</Notice>}
        {!admin && <p className="muted small">Only an administrator may add, test or remove targets.</p>}
        {loaded && targets.length === 0 ? (
          <Empty>No targets are listed.</Empty>
        ) : (
          <table className="table" data-testid="targets">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>State</th>
                <th>Server</th>
                <th>Version</th>
                <th>Registry</th>
                <th>Router</th>
                <th>Apps</th>
                {admin && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {targets.map((t) => (
                <TargetRow
                  key={t.name}
                  t={t}
                  admin={admin}
                  onTest={() => setOpen({ kind: 'test', target: t })}
                  onRemove={() => setOpen({ kind: 'remove', target: t })}
                  onPower={(action) => setOpen({ kind: 'power', target: t, action })}
                />
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {open?.kind === 'add' && <AddTargetDialog onClose={close} />}
      {open?.kind === 'add-kind' && <AddKindDialog onClose={close} />}
      {open?.kind === 'power' && <PowerPanel target={open.target} action={open.action} onClose={close} />}
      {open?.kind === 'test' && <TestPanel target={open.target} onClose={close} />}
      {open?.kind === 'remove' && <RemoveDialog target={open.target} onClose={close} />}
    </div>
  );
}
