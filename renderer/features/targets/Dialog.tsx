/**
 * A modal dialog on the browser's own <dialog>: focus moves to its first field (or Close) and stays
 * in it, Escape closes it, and it is named by its heading for screen readers.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Dialog({
  title,
  onClose,
  children,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const heading = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    // showModal focuses the first focusable element (Close); the first field is where a user starts.
    d?.querySelector<HTMLElement>('input, select, textarea')?.focus();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="tg-dialog"
      aria-labelledby={heading}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header className="tg-dialog-head">
        <h2 id={heading}>{title}</h2>
        <button type="button" className="btn btn-plain btn-small" onClick={onClose}>
          Close
        </button>
      </header>
      {children}
    </dialog>
  );
}
