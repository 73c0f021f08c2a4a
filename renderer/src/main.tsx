/** Renderer entry: start the session (desktop token or stored login), then the login or the app. */
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { Login } from '../features/session/Login';
import { useSession } from '../features/session/store';
import { Spinner } from './ui/common';
import { Shell } from './shell/Shell';
import './styles.css';

function Root() {
  const status = useSession((s) => s.status);
  const start = useSession((s) => s.start);
  useEffect(() => {
    void start();
  }, [start]);
  if (status === 'starting')
    return (
      <div className="login">
        <div className="muted">
          <Spinner /> Connecting to the Deis Desktop core…
        </div>
      </div>
    );
  return status === 'signed-in' ? <Shell /> : <Login />;
}

createRoot(document.getElementById('root')!).render(<Root />);
