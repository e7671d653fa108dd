import { describe, expect, it } from 'vitest';
import {
  caretAfterDigits,
  dayEnd,
  dayStart,
  formatIsoDay,
  formatListDate,
  formatNumber,
  formatPercent,
  formatSize,
  formatTime,
  formatTimeOfDay,
  maskFrenchDate,
  parseFrenchDate,
} from './format';

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

describe('numbers and times in the language chosen, never the system\'s', () => {
  it('groups and decimals as French and English write them', () => {
    expect(formatNumber(12345, 'fr')).toBe('12\u202f345');
    expect(formatNumber(12345, 'en')).toBe('12,345');
    expect(formatNumber(2.5, 'fr', 1)).toBe('2,5');
    expect(formatNumber(2, 'en', 1)).toBe('2.0');
  });

  it('writes percentages with the French no-break space', () => {
    expect(formatPercent(110, 'fr')).toBe('110\u00a0%');
    expect(formatPercent(85, 'en')).toBe('85%');
  });

  it('shows times on 24 hours in both languages', () => {
    expect(formatTime(unix(2026, 10, 19, 14, 32), 'fr')).toBe('14:32');
    expect(formatTime(unix(2026, 10, 19, 9, 5), 'en')).toBe('09:05');
    expect(formatTimeOfDay(new Date(2026, 10, 19, 10, 42, 5).getTime(), 'fr')).toBe('10:42:05');
    expect(formatTimeOfDay(new Date(2026, 10, 19, 22, 42, 5).getTime(), 'en')).toBe('22:42:05');
  });
});

describe('dates typed as JJ/MM/AAAA', () => {
  const today = new Date(2026, 10, 19);

  it('puts the slashes in as digits are typed', () => {
    expect(maskFrenchDate('')).toBe('');
    expect(maskFrenchDate('1')).toBe('1');
    expect(maskFrenchDate('14')).toBe('14');
    expect(maskFrenchDate('140')).toBe('14/0');
    expect(maskFrenchDate('1403')).toBe('14/03');
    expect(maskFrenchDate('14031')).toBe('14/03/1');
    expect(maskFrenchDate('14031985')).toBe('14/03/1985');
    expect(maskFrenchDate('140319851')).toBe('14/03/1985');
  });

  it('keeps a slash just typed, so Backspace is not undone', () => {
    expect(maskFrenchDate('14/')).toBe('14/');
    expect(maskFrenchDate('14/03/')).toBe('14/03/');
    expect(maskFrenchDate('14//')).toBe('14/');
  });

  it('understands other separators and one-digit days and months', () => {
    expect(maskFrenchDate('1/3/1985')).toBe('01/03/1985');
    expect(maskFrenchDate('14.03.1985')).toBe('14/03/1985');
    expect(maskFrenchDate('14-03-1985')).toBe('14/03/1985');
    expect(maskFrenchDate(' 14 03 1985 ')).toBe('14/03/1985');
    expect(maskFrenchDate('14a03b1985')).toBe('14/03/1985');
  });

  it('turns a pasted ISO date around', () => {
    expect(maskFrenchDate('1985-03-14')).toBe('14/03/1985');
    expect(formatIsoDay('1985-03-14')).toBe('14/03/1985');
    expect(formatIsoDay('')).toBe('');
  });

  it('reads a whole, real, past date as ISO for the engine', () => {
    expect(parseFrenchDate('14/03/1985', today)).toEqual({ kind: 'valid', iso: '1985-03-14' });
    expect(parseFrenchDate('14031985', today)).toEqual({ kind: 'valid', iso: '1985-03-14' });
    expect(parseFrenchDate('29/02/2024', today)).toEqual({ kind: 'valid', iso: '2024-02-29' });
    expect(parseFrenchDate('29/02/2000', today)).toEqual({ kind: 'valid', iso: '2000-02-29' });
    expect(parseFrenchDate('19/11/2026', today)).toEqual({ kind: 'valid', iso: '2026-11-19' });
  });

  it('tells an empty, unfinished, impossible or future date apart', () => {
    expect(parseFrenchDate('', today)).toEqual({ kind: 'empty' });
    expect(parseFrenchDate('  ', today)).toEqual({ kind: 'empty' });
    expect(parseFrenchDate('14/03', today)).toEqual({ kind: 'incomplete' });
    expect(parseFrenchDate('14/03/85', today)).toEqual({ kind: 'incomplete' });
    expect(parseFrenchDate('31/04/1985', today)).toEqual({ kind: 'invalid' });
    expect(parseFrenchDate('29/02/2023', today)).toEqual({ kind: 'invalid' });
    expect(parseFrenchDate('29/02/1900', today)).toEqual({ kind: 'invalid' });
    expect(parseFrenchDate('00/03/1985', today)).toEqual({ kind: 'invalid' });
    expect(parseFrenchDate('14/13/1985', today)).toEqual({ kind: 'invalid' });
    expect(parseFrenchDate('14/03/0985', today)).toEqual({ kind: 'invalid' });
    expect(parseFrenchDate('20/11/2026', today)).toEqual({ kind: 'future' });
  });

  it('keeps the caret after the digit it followed', () => {
    expect(caretAfterDigits('14/03/1985', 0)).toBe(0);
    expect(caretAfterDigits('14/03/1985', 2)).toBe(2);
    expect(caretAfterDigits('14/03/1985', 3)).toBe(4);
    expect(caretAfterDigits('14/03/1985', 8)).toBe(10);
    expect(caretAfterDigits('14/0', 9)).toBe(4);
  });
});
