import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TEXT_SIZE, TEXT_SIZES, parseTextSize, stepTextSize, textSizeChangeFor, type TextSizeKey } from './textSize';
import { TextSizeStore, type SizeStorage } from './stores/textSize.svelte';

const key = (over: Partial<TextSizeKey>): TextSizeKey => ({
  key: '',
  code: '',
  ctrlKey: true,
  metaKey: false,
  altKey: false,
  ...over,
});

describe('text size steps', () => {
  it('goes up and down one step, from 85 % to 150 %', () => {
    expect(TEXT_SIZES[0]).toBe(85);
    expect(TEXT_SIZES[TEXT_SIZES.length - 1]).toBe(150);
    expect(stepTextSize(100, 'bigger')).toBe(110);
    expect(stepTextSize(110, 'bigger')).toBe(120);
    expect(stepTextSize(100, 'smaller')).toBe(90);
    expect(stepTextSize(90, 'smaller')).toBe(85);
    expect(stepTextSize(135, 'reset')).toBe(DEFAULT_TEXT_SIZE);
  });

  it('stays at the ends', () => {
    expect(stepTextSize(150, 'bigger')).toBe(150);
    expect(stepTextSize(85, 'smaller')).toBe(85);
  });

  it('moves a size that is not a step to the nearest step that way', () => {
    expect(stepTextSize(105, 'bigger')).toBe(110);
    expect(stepTextSize(105, 'smaller')).toBe(100);
    expect(stepTextSize(400, 'smaller')).toBe(150);
  });

  it('reads back only a known step', () => {
    expect(parseTextSize('120')).toBe(120);
    expect(parseTextSize(null)).toBe(100);
    expect(parseTextSize('')).toBe(100);
    expect(parseTextSize('1000')).toBe(100);
    expect(parseTextSize('grand')).toBe(100);
  });
});

describe('text size keys', () => {
  it('reads Ctrl+plus, Ctrl+minus and Ctrl+0 on US and French keyboards and the keypad', () => {
    expect(textSizeChangeFor(key({ key: '+', code: 'Equal' }))).toBe('bigger');
    expect(textSizeChangeFor(key({ key: '=', code: 'Equal' }))).toBe('bigger');
    expect(textSizeChangeFor(key({ key: '+', code: 'NumpadAdd' }))).toBe('bigger');
    expect(textSizeChangeFor(key({ key: '-', code: 'Minus' }))).toBe('smaller');
    expect(textSizeChangeFor(key({ key: '-', code: 'Digit6' }))).toBe('smaller'); // AZERTY
    expect(textSizeChangeFor(key({ key: '-', code: 'NumpadSubtract' }))).toBe('smaller');
    expect(textSizeChangeFor(key({ key: '0', code: 'Digit0' }))).toBe('reset');
    expect(textSizeChangeFor(key({ key: 'à', code: 'Digit0' }))).toBe('reset'); // AZERTY
    expect(textSizeChangeFor(key({ key: '+', code: 'Equal', ctrlKey: false, metaKey: true }))).toBe('bigger');
  });

  it('ignores the keys without Ctrl, with Alt, and other Ctrl shortcuts', () => {
    expect(textSizeChangeFor(key({ key: '+', ctrlKey: false }))).toBeNull();
    expect(textSizeChangeFor(key({ key: '+', altKey: true }))).toBeNull();
    expect(textSizeChangeFor(key({ key: 'z', code: 'KeyZ' }))).toBeNull();
    expect(textSizeChangeFor(key({ key: 'Enter', code: 'Enter' }))).toBeNull();
  });
});

describe('TextSizeStore', () => {
  afterEach(() => {
    document.documentElement.style.fontSize = '';
  });

  function memory(initial: Record<string, string> = {}): SizeStorage & { data: Record<string, string> } {
    const data = { ...initial };
    return {
      data,
      getItem: (k: string) => data[k] ?? null,
      setItem: (k: string, v: string) => {
        data[k] = v;
      },
    };
  }

  it('applies the remembered size to the root at start', () => {
    const store = new TextSizeStore(memory({ 'relais.textSize': '120' }));
    store.load();
    expect(store.percent).toBe(120);
    expect(document.documentElement.style.fontSize).toBe('120%');
  });

  it('changes by steps, remembers, and clears the root style at 100 %', () => {
    const storage = memory();
    const store = new TextSizeStore(storage);
    store.load();
    expect(store.percent).toBe(100);
    expect(store.change('bigger')).toBe(110);
    expect(store.change('bigger')).toBe(120);
    expect(document.documentElement.style.fontSize).toBe('120%');
    expect(storage.data['relais.textSize']).toBe('120');
    expect(store.change('reset')).toBe(100);
    expect(document.documentElement.style.fontSize).toBe('');
    expect(storage.data['relais.textSize']).toBe('100');
  });

  it('still works when the storage refuses', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const store = new TextSizeStore({
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    });
    store.load();
    expect(store.change('smaller')).toBe(90);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });
});
