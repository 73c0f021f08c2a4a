/**
 * xterm.js under the UI's Content-Security-Policy (style-src 'self', no inline styles): xterm writes
 * its computed styles (cell sizes, theme colours) into <style> elements it creates, which that
 * policy refuses. While it opens, those elements are made as inert <xterm-style> elements instead,
 * and their text is applied through a constructed stylesheet, which the policy allows.
 */
import { Terminal, type ITerminalInitOnlyOptions, type ITerminalOptions } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

export interface OpenTerminal {
  term: Terminal;
  dispose(): void;
}

export function openTerminal(
  el: HTMLElement,
  options: ITerminalOptions & ITerminalInitOnlyOptions,
): OpenTerminal {
  const doc = el.ownerDocument;
  const term = new Terminal(options);
  const made: HTMLElement[] = [];
  const original = doc.createElement;
  doc.createElement = function (this: Document, tag: string, opts?: ElementCreationOptions) {
    if (tag.toLowerCase() === 'style') {
      const inert = original.call(this, 'xterm-style', opts);
      made.push(inert);
      return inert;
    }
    return original.call(this, tag, opts);
  } as typeof doc.createElement;
  try {
    term.open(el);
  } finally {
    // The document's own method again (the patch was an own property of this document).
    Reflect.deleteProperty(doc, 'createElement');
  }
  const sheet = new CSSStyleSheet();
  const sync = () => sheet.replaceSync(made.map((e) => e.textContent ?? '').join('\n'));
  sync();
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  const watch = new MutationObserver(sync);
  for (const e of made) watch.observe(e, { childList: true, characterData: true, subtree: true });
  return {
    term,
    dispose: () => {
      watch.disconnect();
      term.dispose();
      doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    },
  };
}
