/** Renderer entry: a placeholder until the desktop UI issue lands. */
import { createRoot } from 'react-dom/client';
import { API_VERSION } from '../../main/contract/objects';

function App() {
  return (
    <main style={{ fontFamily: 'system-ui', padding: 32 }}>
      <h1>Deis Desktop</h1>
      <p>Deis Workflow API {API_VERSION} runs in the core. Use the deis CLI while the UI is being built.</p>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
