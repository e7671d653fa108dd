// The benchmark's interactions (crates/relais-bench, coldstart.rs), played by the window
// itself once its first list page is painted, and only when the benchmark asks for them
// (`api.benchInteractions()`, a hook the packaged app never reads). Each is timed as the
// person sees it: from the intent (the keystroke that ends a search, the click that picks
// the destination of « Déplacer vers… ») to the next painted frame showing its result.
// The commands write the engine's own share beside it (src-tauri/src/bench.rs).

import { api } from './api';
import { messages } from './stores/messages.svelte';

/** Accent-less queries, as a secretary types them (the bench's corpus has the accents). */
const QUERIES = ['resultat', 'cardiologie', 'echographie cardiaque', 'compte rendu', 'ordonnance'];
const MOVES = 3;
const WAIT_MS = 60_000;

let played = false;

export async function runBenchInteractions(): Promise<void> {
  // Once per window: a list painted again (another box) does not start them again.
  if (played) return;
  played = true;
  if (!(await api.benchInteractions())) return;
  try {
    await searches();
    await moves();
    await api.benchTook('done', 0);
  } catch (error) {
    // The benchmark reports the missing figures and this line.
    console.error('Relais bench:', error);
    const step = error instanceof Error ? error.message : 'unknown';
    await api.benchTook(`failed-${step}`, 0);
  }
}

/** The frame after the one where the change is drawn. */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

/** Resolves when `condition` holds: looked at after every change of the document and at
 * every frame (a store's state can change after the last mutation of the document). */
function until(condition: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (condition()) return resolve();
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      observer.disconnect();
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const look = () => {
      if (!settled && condition()) finish();
    };
    const observer = new MutationObserver(look);
    const frame = () => {
      look();
      if (!settled) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    const timer = setTimeout(() => finish(new Error(what)), WAIT_MS);
    observer.observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
  });
}

function rowIds(): string[] {
  return [...document.querySelectorAll<HTMLElement>('.scroller [data-id]')].map((row) => row.dataset.id ?? '');
}

function type(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

async function searches(): Promise<void> {
  const input = document.getElementById('search-text') as HTMLInputElement | null;
  if (!input) throw new Error('nofield');
  input.focus();
  for (const query of QUERIES) {
    const started = performance.now();
    type(input, query);
    await until(() => {
      const source = messages.source;
      return (
        source.kind === 'search' &&
        source.request.text === query &&
        messages.list.ready &&
        (messages.list.total === 0 || rowIds().length > 0)
      );
    }, 'search');
    await afterPaint();
    await api.benchTook('search', performance.now() - started);
    // Back to the box, as after a search that was read.
    type(input, '');
    await until(() => messages.source.kind !== 'search' && messages.list.ready && rowIds().length > 0, 'back');
    await afterPaint();
  }
  input.blur();
}

async function moves(): Promise<void> {
  for (let i = 0; i < MOVES; i++) {
    const row = document.querySelector<HTMLElement>('.scroller [data-id]');
    const id = row?.dataset.id;
    if (!row || !id) throw new Error('norow');
    row.click();
    await until(() => document.querySelector('.reader-move') !== null, 'reader');
    document.querySelector<HTMLButtonElement>('.reader-move')?.click();
    await until(() => document.querySelector('.move-dialog .choice') !== null, 'movedialog');
    const source = messages.source;
    const box = source.kind === 'folder' ? source.box.address : '';
    const choice = [...document.querySelectorAll<HTMLElement>('.move-dialog .choice')].find(
      (c) => c.dataset.box === box,
    );
    if (!choice) throw new Error('nochoice');
    const started = performance.now();
    choice.click();
    await until(() => !rowIds().includes(id), 'rowgone');
    await afterPaint();
    await api.benchTook('move', performance.now() - started);
  }
}
