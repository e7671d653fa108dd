import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LockTimer } from './lock.svelte';

describe('inactivity lock', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('locks after the delay without input, once', () => {
    const timer = new LockTimer();
    const onLock = vi.fn();
    timer.start(600, onLock);
    vi.advanceTimersByTime(599_000);
    expect(timer.locked).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(timer.locked).toBe(true);
    expect(onLock).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(3_600_000);
    expect(onLock).toHaveBeenCalledTimes(1);
  });

  it('starts counting again at each input', () => {
    const timer = new LockTimer();
    const onLock = vi.fn();
    timer.start(3, onLock);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(2_000);
      timer.activity();
    }
    expect(timer.locked).toBe(false);
    vi.advanceTimersByTime(2_999);
    expect(timer.locked).toBe(false);
    vi.advanceTimersByTime(1);
    expect(timer.locked).toBe(true);
  });

  it('ignores input once locked, and watches again after unlocking', () => {
    const timer = new LockTimer();
    const onLock = vi.fn();
    timer.start(3, onLock);
    vi.advanceTimersByTime(3_000);
    timer.activity();
    expect(timer.locked).toBe(true);
    timer.unlock();
    expect(timer.locked).toBe(false);
    vi.advanceTimersByTime(3_000);
    expect(onLock).toHaveBeenCalledTimes(2);
  });

  it('applies a shorter delay at once, counting the time already idle', () => {
    const timer = new LockTimer();
    const onLock = vi.fn();
    timer.start(600, onLock);
    vi.advanceTimersByTime(120_000);
    timer.setDelay(60);
    expect(timer.locked).toBe(true);
  });

  it('does nothing once stopped (signed out)', () => {
    const timer = new LockTimer();
    const onLock = vi.fn();
    timer.start(3, onLock);
    timer.stop();
    vi.advanceTimersByTime(10_000);
    expect(onLock).not.toHaveBeenCalled();
  });
});
