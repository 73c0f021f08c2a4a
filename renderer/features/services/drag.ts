/**
 * Dragging a service onto an app: what is dragged (a catalog kind to provision, or a service that
 * exists), carried under our own type. A drop can come from any page, so what it carries is parsed
 * and must name a kind or a service this window knows before anything is done with it.
 */
import { useState, type DragEvent } from 'react';
import { z } from 'zod';

export const SERVICE_DRAG_TYPE = 'application/x-deis-service';

/** A kind from the catalog (provisioned, then attached) or a service by name (attached). */
export type ServiceSource = { kind: string } | { service: string };

const SourceSchema = z.union([
  z.object({ kind: z.string().max(32) }).strict(),
  z.object({ service: z.string().max(64) }).strict(),
]);

/** Props that make an element a drag source for `source`. */
export function dragSourceProps(source: ServiceSource, label: string) {
  return {
    draggable: true,
    onDragStart: (e: DragEvent) => {
      e.dataTransfer.setData(SERVICE_DRAG_TYPE, JSON.stringify(source));
      e.dataTransfer.setData('text/plain', label);
      e.dataTransfer.effectAllowed = 'copy';
    },
  };
}

/** What a drop carries, or null when it is not one of ours. */
export function sourceOf(e: DragEvent): ServiceSource | null {
  const raw = e.dataTransfer.getData(SERVICE_DRAG_TYPE);
  if (!raw || raw.length > 200) return null;
  try {
    const parsed = SourceSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Makes an element a drop target: `over` while one of ours hovers it, `onDrop` with what was dropped. */
export function useServiceDrop(onDrop: (source: ServiceSource) => void) {
  const [over, setOver] = useState(false);
  const ours = (e: DragEvent) => e.dataTransfer.types.includes(SERVICE_DRAG_TYPE);
  return {
    over,
    props: {
      onDragEnter: (e: DragEvent) => {
        if (!ours(e)) return;
        e.preventDefault();
        setOver(true);
      },
      onDragOver: (e: DragEvent) => {
        if (!ours(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      },
      onDragLeave: (e: DragEvent) => {
        // Leaving for a child of the target is not leaving the target.
        if (e.currentTarget.contains(e.relatedTarget as Node | null)) return;
        setOver(false);
      },
      onDrop: (e: DragEvent) => {
        setOver(false);
        const source = sourceOf(e);
        if (!source) return;
        e.preventDefault();
        onDrop(source);
      },
    },
  };
}
