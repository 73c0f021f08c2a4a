/**
 * Where a dragged service can be dropped: an app (a link in the sidebar, a row on the Services
 * screen, the app's own Config tab). Dropping provisions when needed and attaches.
 */
import type { ReactNode } from 'react';
import { useServiceDrop } from './drag';
import { useServices } from './store';
import './services.css';

export function DropOnApp({
  app,
  className = '',
  testId,
  children,
}: {
  app: string;
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  const attachTo = useServices((s) => s.attachTo);
  const { over, props } = useServiceDrop((source) => void attachTo(app, source));
  return (
    <div className={`${className} drop-target${over ? ' drop-over' : ''}`} data-testid={testId} {...props}>
      {children}
    </div>
  );
}
