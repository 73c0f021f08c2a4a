/** An app's domains: list, add and remove. */
import { create } from 'zustand';
import type { Domain } from '../../../main/contract/objects';
import { DomainSchema, page } from '../../../main/contract/responses';
import { get, messageOf, post, send } from '../../src/api';

interface DomainsState {
  domains: Domain[];
  error: string | null;
  load(app: string): Promise<void>;
  add(app: string, domain: string): Promise<void>;
  remove(app: string, domain: string): Promise<void>;
}

export const useDomains = create<DomainsState>((set, getState) => ({
  domains: [],
  error: null,
  async load(app) {
    try {
      set({
        domains: (await get(`/v2/apps/${app}/domains/?limit=100`, page(DomainSchema))).results,
        error: null,
      });
    } catch (err) {
      set({ error: messageOf(err) });
    }
  },
  async add(app, domain) {
    await post(`/v2/apps/${app}/domains/`, DomainSchema, { domain });
    await getState().load(app);
  },
  async remove(app, domain) {
    await send('DELETE', `/v2/apps/${app}/domains/${encodeURIComponent(domain)}/`);
    await getState().load(app);
  },
}));
