/**
 * Dragging a service onto an app: the drag sources and drop targets. What a drop carries is parsed
 * (source.ts), and must name a kind or a service this window knows before anything is done with it.
 */
import { useState, type DragEvent } from 'react';
import { parseSource, SERVICE_DRAG_TYPE, type ServiceSource } from './source';

export type { ServiceSource } from './source';

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
        const source = parseSource(e.dataTransfer.getData(SERVICE_DRAG_TYPE));
        if (!source) return;
        e.preventDefault();
        onDrop(source);
      },
    },
  };
}
