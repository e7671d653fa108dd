import { describe, expect, it } from 'vitest';
import { mayMove, powers, type BoxPowers } from './rights';

/** A box as the engine describes it: `can_send` and `can_delete` follow relais-core's rule
 * (`i`; `t` and `e`, or the obsolete `d`). */
function box(rights: string) {
  return {
    rights,
    can_send: rights.includes('i'),
    can_delete: (rights.includes('t') && rights.includes('e')) || rights.includes('d'),
  };
}

const NONE: BoxPowers = {
  keepSeen: false,
  flag: false,
  receive: false,
  send: false,
  createFolder: false,
  changeFolder: false,
  remove: false,
  moveOut: false,
};

/** What `lr` plus one right gives, beyond `lr` alone. */
function gained(right: string): Partial<BoxPowers> {
  const p = powers(box(`lr${right}`));
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v)) as Partial<BoxPowers>;
}

describe('powers in a box, one RFC 4314 right at a time', () => {
  it('l and r: reading only', () => {
    expect(powers(box('lr'))).toEqual(NONE);
    expect(powers(box('l'))).toEqual(NONE);
  });
  it('s keeps the shared read state', () => expect(gained('s')).toEqual({ keepSeen: true }));
  it('w writes flags, claims and « Traité »', () => expect(gained('w')).toEqual({ flag: true }));
  it('i receives moved messages and lets the person send as the box', () =>
    expect(gained('i')).toEqual({ receive: true, send: true }));
  it('p gives nothing in the window', () => expect(gained('p')).toEqual({}));
  it('k creates folders', () => expect(gained('k')).toEqual({ createFolder: true }));
  it('x deletes and renames folders', () => expect(gained('x')).toEqual({ changeFolder: true }));
  it('t alone deletes nothing', () => expect(gained('t')).toEqual({}));
  it('e alone deletes nothing', () => expect(gained('e')).toEqual({}));
  it('t and e delete; with i they move out too', () => {
    expect(gained('te')).toEqual({ remove: true });
    expect(gained('tei')).toEqual({ remove: true, receive: true, send: true, moveOut: true });
  });
  it('a administers nothing in the window', () => expect(gained('a')).toEqual({}));
  it('lrs (a reader such as Karim): no delete, no move out, no sending as the box', () => {
    const p = powers(box('lrs'));
    expect(p).toEqual({ ...NONE, keepSeen: true });
  });
  it('all rights: everything', () => {
    expect(Object.values(powers(box('lrswipkxtea'))).every(Boolean)).toBe(true);
  });
  it('an unknown box: nothing', () => expect(powers(undefined)).toEqual(NONE));
  it('a move needs delete rights where the messages are and i where they go', () => {
    expect(mayMove(box('lrswipkxtea'), box('lrswipkxtea'))).toBe(true);
    expect(mayMove(box('lrs'), box('lrswipkxtea'))).toBe(false);
    expect(mayMove(box('lrswipkxtea'), box('lrste'))).toBe(false);
  });
});
