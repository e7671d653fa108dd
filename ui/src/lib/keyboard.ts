// The mailbox's keyboard shortcuts. `shortcutFor` is pure (an event in, an action out)
// so it can be tested without a page; the Mailbox screen runs the action.

import type { MessageKey } from '../i18n';

export type ShortcutAction =
  | 'next'
  | 'previous'
  | 'open'
  | 'reply'
  | 'reply-all'
  | 'forward'
  | 'compose'
  | 'focus-search'
  | 'delete'
  | 'move'
  | 'undo'
  | 'print'
  | 'help';

/** The part of a `KeyboardEvent` the shortcuts look at. */
export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

const LETTER_KEYS: Record<string, ShortcutAction> = {
  j: 'next',
  k: 'previous',
  r: 'reply',
  a: 'reply-all',
  f: 'forward',
  c: 'compose',
  '/': 'focus-search',
  v: 'move',
  '?': 'help',
};

/** Keys that also mean something to a focused button or link: left to them. */
const ACTIVATION_KEYS: Record<string, ShortcutAction> = {
  Enter: 'open',
  Delete: 'delete',
  Del: 'delete',
};

/**
 * Shortcuts in the order the help dialog lists them, with the keys to show (`Enter` and
 * `Delete` are translated by the dialog: « Entrée », « Suppr »).
 */
export const SHORTCUTS: readonly { keys: readonly string[]; label: MessageKey }[] = [
  { keys: ['j', '↓'], label: 'shortcuts.next' },
  { keys: ['k', '↑'], label: 'shortcuts.previous' },
  { keys: ['Enter'], label: 'shortcuts.open' },
  { keys: ['r'], label: 'shortcuts.reply' },
  { keys: ['a'], label: 'shortcuts.replyAll' },
  { keys: ['f'], label: 'shortcuts.forward' },
  { keys: ['c'], label: 'shortcuts.compose' },
  { keys: ['/'], label: 'shortcuts.search' },
  { keys: ['Delete'], label: 'shortcuts.delete' },
  { keys: ['v'], label: 'shortcuts.move' },
  { keys: ['Ctrl+Z'], label: 'shortcuts.undo' },
  { keys: ['Ctrl+P'], label: 'shortcuts.print' },
  { keys: ['Maj+↓', 'Maj+↑'], label: 'shortcuts.extend' },
  { keys: ['?'], label: 'shortcuts.help' },
  // Handled by the whole window (App.svelte), in text fields too.
  { keys: ['Ctrl++'], label: 'shortcuts.textBigger' },
  { keys: ['Ctrl+-'], label: 'shortcuts.textSmaller' },
  { keys: ['Ctrl+0'], label: 'shortcuts.textReset' },
];

function isElement(target: EventTarget | null): target is Element {
  return typeof Element !== 'undefined' && target instanceof Element;
}

/** True when typing into `target` must not trigger shortcuts. */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!isElement(target)) return false;
  if (target instanceof HTMLElement && target.isContentEditable) return true;
  if (target.closest('[contenteditable=""], [contenteditable="true"]')) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
  }
  return false;
}

function isActivatable(target: EventTarget | null): boolean {
  return isElement(target) && !!target.closest('button, a[href], summary, input, [role="button"]');
}

/** The action `event` asks for, or `null` when it is not a shortcut here. */
export function shortcutFor(event: KeyInput): ShortcutAction | null {
  if (isTextEntry(event.target)) return null;
  // Ctrl+Z (Cmd+Z) outside a text field: undo the last move, not a text edit.
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'z') return 'undo';
  // Ctrl+P: the open message, not the whole window.
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'p') return 'print';
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const letter = LETTER_KEYS[event.key];
  if (letter) return letter;
  const activation = ACTIVATION_KEYS[event.key];
  if (activation && !isActivatable(event.target)) return activation;
  return null;
}

/**
 * Runs the shortcut `event` asks for. Returns true, and stops the browser's own
 * handling of the key, when it was one.
 */
export function handleShortcut(
  event: KeyboardEvent,
  run: (action: ShortcutAction) => void,
  enabled: boolean = true,
): boolean {
  if (!enabled || event.defaultPrevented) return false;
  const action = shortcutFor(event);
  if (!action) return false;
  event.preventDefault();
  run(action);
  return true;
}
