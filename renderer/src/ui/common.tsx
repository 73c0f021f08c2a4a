/** Small pieces every screen uses: buttons with a busy state, notices, badges, copy and empty states. */
import { useState, type ReactNode } from 'react';
import { copyText } from '../native';

export function Notice({
  kind,
  children,
}: {
  kind: 'error' | 'success' | 'info' | 'warning';
  children: ReactNode;
}) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'busy' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

export function Button(props: {
  onClick?: () => void;
  busy?: boolean;
  disabled?: boolean;
  kind?: 'primary' | 'danger' | 'plain';
  type?: 'button' | 'submit';
  title?: string;
  children: ReactNode;
}) {
  return (
    <button
      type={props.type ?? 'button'}
      className={`btn btn-${props.kind ?? 'plain'}`}
      onClick={props.onClick}
      disabled={props.disabled || props.busy}
      title={props.title}
    >
      {props.busy && <Spinner />}
      {props.children}
    </button>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <button
      type="button"
      className="btn btn-plain btn-small"
      onClick={() => void copyText(text).then(setCopied)}
      title="Copy to the clipboard"
    >
      {copied === null ? label : copied ? 'Copied' : 'Copy failed'}
    </button>
  );
}

export function Code({ text }: { text: string }) {
  return (
    <div className="code">
      <pre>{text}</pre>
      <CopyButton text={text} />
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Section({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="section">
      <header className="section-head">
        <h2>{title}</h2>
        {actions && <div className="section-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
