import { describe, expect, it } from 'vitest';
import { folderMatches } from './folderFilter';

const classes = { display_name: 'Cardiologie', path: 'Classés/Cardiologie' };

describe('folderMatches', () => {
  it('ignores accents and case, on the name and the path', () => {
    expect(folderMatches(classes, 'CLASSES')).toBe(true);
    expect(folderMatches(classes, 'cardio')).toBe(true);
    expect(folderMatches(classes, 'clas card')).toBe(true);
    expect(folderMatches({ display_name: 'Boîte de réception', path: 'INBOX' }, 'reception')).toBe(true);
  });

  it('needs every word', () => {
    expect(folderMatches(classes, 'clas pneumo')).toBe(false);
  });

  it('an empty query matches everything', () => {
    expect(folderMatches(classes, '  ')).toBe(true);
  });
});
