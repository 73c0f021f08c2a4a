/** The signed-in user's SSH public keys (the builder lets them git push with the matching private key). */
import { create } from 'zustand';
import type { Key } from '../../../main/contract/objects';
import { MAX_KEYS_PER_USER, MAX_PUBLIC_KEY_CHARS } from '../../../main/contract/limits';
import { KeySchema, page } from '../../../main/contract/responses';
import { get, messageOf, post, send } from '../../src/api';

interface KeysState {
  keys: Key[];
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
  /** Throws the API's error (with its field sentences) for the form to show. */
  add(id: string, publicKey: string): Promise<void>;
  remove(id: string): Promise<void>;
}

export const useKeys = create<KeysState>((set, getState) => ({
  keys: [],
  loaded: false,
  error: null,
  async load() {
    try {
      const list = await get(`/v2/keys/?limit=${MAX_KEYS_PER_USER}`, page(KeySchema));
      set({ keys: list.results, loaded: true, error: null });
    } catch (err) {
      set({ loaded: true, error: messageOf(err) });
    }
  },
  async add(id, publicKey) {
    await post('/v2/keys/', KeySchema, { id, public: publicKey });
    await getState().load();
  },
  async remove(id) {
    await send('DELETE', `/v2/keys/${encodeURIComponent(id)}`);
    await getState().load();
  },
}));

/** `ssh-ed25519 AAAA…xyz comment` → its comment, which `deis keys:add` also takes as the key's name. */
export function keyComment(text: string): string {
  const fields = text.trim().split(/\s+/);
  return fields.length > 2 ? fields.slice(2).join(' ').slice(0, 128) : '';
}

/** What is wrong with a file picked as a public key, before it is read; null when it may be one. */
export function keyFileProblem(file: { name: string; size: number }): string | null {
  if (file.size > MAX_PUBLIC_KEY_CHARS)
    return `${file.name} is ${Math.ceil(file.size / 1024)} KB; a public key is at most ${MAX_PUBLIC_KEY_CHARS / 1024} KB. Pick the .pub file (such as ~/.ssh/id_ed25519.pub).`;
  if (file.size === 0) return `${file.name} is empty. Pick the .pub file (such as ~/.ssh/id_ed25519.pub).`;
  return null;
}

/** What is wrong with text read from a key file that the API would not catch as clearly; null if none. */
export function keyTextProblem(text: string): string | null {
  if (/PRIVATE KEY/.test(text))
    return 'That is a private key: keep it to yourself and pick the matching .pub file instead.';
  return null;
}
