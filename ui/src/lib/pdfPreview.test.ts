import { describe, expect, it } from 'vitest';
import { dataUrlBytes, isPdfUrl } from './pdfPreview';

describe('pdf preview: what reaches pdf.js', () => {
  it('reads the bytes of a base64 data URL, and nothing else', () => {
    const url = `data:application/pdf;base64,${btoa('%PDF-1.4\n%%EOF\n')}`;
    expect(isPdfUrl(url)).toBe(true);
    expect(new TextDecoder().decode(dataUrlBytes(url))).toBe('%PDF-1.4\n%%EOF\n');
    expect(isPdfUrl('data:image/png;base64,AAAA')).toBe(false);
    expect(() => dataUrlBytes('https://exemple.fr/a.pdf')).toThrow();
    expect(() => dataUrlBytes('data:application/pdf,%PDF-1.4')).toThrow();
  });
});
