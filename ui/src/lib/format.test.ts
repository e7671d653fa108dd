import { describe, expect, it } from 'vitest';
import { dayEnd, dayStart, formatListDate, formatSize } from './format';

// Local-time dates, so the tests hold in any time zone.
const unix = (...parts: [number, number, number, number?, number?]) =>
  Math.floor(new Date(parts[0], parts[1], parts[2], parts[3] ?? 0, parts[4] ?? 0).getTime() / 1000);

// Thursday 19 November 2026, 10:00.
const now = new Date(2026, 10, 19, 10, 0);

describe('formatListDate', () => {
  it('shows the time for a message of today', () => {
    expect(formatListDate(unix(2026, 10, 19, 14, 32), now, 'fr')).toBe('14:32');
    expect(formatListDate(unix(2026, 10, 19, 0, 5), now, 'fr')).toBe('00:05');
  });

  it('shows the weekday and day for the last six days', () => {
    expect(formatListDate(unix(2026, 10, 16, 9, 0), now, 'fr')).toBe('lun. 16/11');
    expect(formatListDate(unix(2026, 10, 18, 23, 59), now, 'fr')).toBe('mer. 18/11');
    expect(formatListDate(unix(2026, 10, 13, 8, 0), now, 'fr')).toBe('ven. 13/11');
    expect(formatListDate(unix(2026, 10, 16, 9, 0), now, 'en')).toBe('Mon 16/11');
  });

  it('shows the full date beyond a week, and for dates in the future', () => {
    expect(formatListDate(unix(2026, 10, 12, 8, 0), now, 'fr')).toBe('12/11/2026');
    expect(formatListDate(unix(2025, 0, 3), now, 'fr')).toBe('03/01/2025');
    expect(formatListDate(unix(2026, 10, 20, 8, 0), now, 'fr')).toBe('20/11/2026');
  });

  it('crosses the new year', () => {
    const newYear = new Date(2027, 0, 2, 9, 0);
    expect(formatListDate(unix(2026, 11, 31, 18, 0), newYear, 'fr')).toBe('jeu. 31/12');
  });
});

describe('formatSize', () => {
  it('speaks French units', () => {
    expect(formatSize(512, 'fr')).toBe('512\u00a0o');
    expect(formatSize(12 * 1024 + 300, 'fr')).toBe('12\u00a0Ko');
    expect(formatSize(3.4 * 1024 * 1024, 'fr')).toBe('3,4\u00a0Mo');
    expect(formatSize(3.4 * 1024 * 1024, 'en')).toBe('3.4\u00a0MB');
  });
});

describe('date filters', () => {
  it('turns a calendar day into a half-open range of that day', () => {
    expect(dayStart('2026-11-16')).toBe(unix(2026, 10, 16));
    expect(dayEnd('2026-11-16')).toBe(unix(2026, 10, 17));
    expect(dayStart('16/11/2026')).toBeNull();
  });
});
