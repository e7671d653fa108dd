import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleShortcut, shortcutFor, type KeyInput } from './keyboard';

const key = (key: string, target: EventTarget | null = document.body, extra: Partial<KeyInput> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  target,
  ...extra,
});

function element(html: string): HTMLElement {
  const host = document.createElement('div');
  host.innerHTML = html;
  document.body.append(host);
  return host.firstElementChild as HTMLElement;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('shortcutFor', () => {
  it('maps the mailbox letters', () => {
    expect(shortcutFor(key('j'))).toBe('next');
    expect(shortcutFor(key('k'))).toBe('previous');
    expect(shortcutFor(key('r'))).toBe('reply');
    expect(shortcutFor(key('a'))).toBe('reply-all');
    expect(shortcutFor(key('f'))).toBe('forward');
    expect(shortcutFor(key('c'))).toBe('compose');
    expect(shortcutFor(key('/'))).toBe('focus-search');
    expect(shortcutFor(key('?'))).toBe('help');
    expect(shortcutFor(key('Enter'))).toBe('open');
    expect(shortcutFor(key('Delete'))).toBe('delete');
    expect(shortcutFor(key('x'))).toBeNull();
  });

  it('maps Ctrl+Z to undo and Ctrl+P to print, outside text fields only', () => {
    expect(shortcutFor(key('z', document.body, { ctrlKey: true }))).toBe('undo');
    expect(shortcutFor(key('p', document.body, { ctrlKey: true }))).toBe('print');
    expect(shortcutFor(key('P', document.body, { metaKey: true }))).toBe('print');
    expect(shortcutFor(key('p', document.body, { ctrlKey: true, altKey: true }))).toBeNull();
    expect(shortcutFor(key('p', element('<textarea></textarea>'), { ctrlKey: true }))).toBeNull();
  });

  it('leaves typing alone', () => {
    for (const html of ['<input type="search">', '<textarea></textarea>', '<select></select>']) {
      const field = element(html);
      expect(shortcutFor(key('j', field)), html).toBeNull();
      expect(shortcutFor(key('/', field)), html).toBeNull();
      expect(shortcutFor(key('Delete', field)), html).toBeNull();
    }
    const editable = element('<div contenteditable="true"><p>texte</p></div>');
    expect(shortcutFor(key('r', editable.firstElementChild))).toBeNull();
  });

  it('leaves browser and system combinations alone', () => {
    expect(shortcutFor(key('r', document.body, { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('f', document.body, { metaKey: true }))).toBeNull();
    expect(shortcutFor(key('a', document.body, { altKey: true }))).toBeNull();
  });

  it('lets a focused button keep Enter, but not the letters', () => {
    const button = element('<button type="button">Répondre</button>');
    expect(shortcutFor(key('Enter', button))).toBeNull();
    expect(shortcutFor(key('j', button))).toBe('next');
    const checkbox = element('<input type="checkbox">');
    expect(shortcutFor(key('j', checkbox))).toBe('next');
    const grid = element('<div role="grid" tabindex="0"></div>');
    expect(shortcutFor(key('Enter', grid))).toBe('open');
    expect(shortcutFor(key('Delete', grid))).toBe('delete');
  });
});

describe('handleShortcut', () => {
  it('runs the action and stops the browser default', () => {
    const run = vi.fn();
    const event = new KeyboardEvent('keydown', { key: 'j', cancelable: true });
    document.body.dispatchEvent(event);
    expect(handleShortcut(event, run)).toBe(true);
    expect(run).toHaveBeenCalledWith('next');
    expect(event.defaultPrevented).toBe(true);
  });

  it('does nothing while disabled (a dialog is open)', () => {
    const run = vi.fn();
    const event = new KeyboardEvent('keydown', { key: 'j', cancelable: true });
    expect(handleShortcut(event, run, false)).toBe(false);
    expect(run).not.toHaveBeenCalled();
    expect(event.defaultPrevented).toBe(false);
  });
});
