/** Whether everything the core runs is running or stopped, and the administrator's stop, start and remove. */
import { create } from 'zustand';
import { InstanceStateSchema, RemovedSchema, type InstanceState } from '../../../main/contract/instance';
import { get, messageOf, post } from '../../src/api';

interface PowerState {
  power: InstanceState | null;
  busy: 'stop' | 'start' | 'remove' | null;
  result: { ok: boolean; text: string } | null;
  load(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(confirm: string): Promise<void>;
}

export const usePower = create<PowerState>((set) => {
  /** Runs one action, keeping the state it answers with and a line saying how it went. */
  const act = async (
    busy: 'stop' | 'start' | 'remove',
    work: () => Promise<{ power: InstanceState; text: string }>,
  ) => {
    set({ busy, result: null });
    try {
      const { power, text } = await work();
      set({ power, result: { ok: true, text } });
    } catch (err) {
      set({ result: { ok: false, text: messageOf(err) } });
    } finally {
      set({ busy: null });
    }
  };
  return {
    power: null,
    busy: null,
    result: null,
    async load() {
      try {
        set({ power: await get('/v2/desktop/instance/', InstanceStateSchema) });
      } catch (err) {
        set({ result: { ok: false, text: messageOf(err) } });
      }
    },
    stop: () =>
      act('stop', async () => ({
        power: await post('/v2/desktop/instance/stop/', InstanceStateSchema),
        text: 'Stopped the router and every app. They stay stopped until you start them.',
      })),
    start: () =>
      act('start', async () => ({
        power: await post('/v2/desktop/instance/start/', InstanceStateSchema),
        text: 'Started the router and every app.',
      })),
    remove: (confirm) =>
      act('remove', async () => {
        const r = await post('/v2/desktop/instance/remove/', RemovedSchema, { confirm });
        const { containers, networks, volumes, images } = r.removed;
        return {
          power: { instance: r.instance, state: r.state },
          text: `Removed ${containers} containers, ${networks} networks, ${volumes} volumes and ${images} images.`,
        };
      }),
  };
});
