import { describe, expect, it } from 'vitest';
import { MESSAGE_CSP, messageSrcdoc } from './htmlFrame';

describe('messageSrcdoc', () => {
  it('puts the restrictive CSP before the message content', () => {
    const doc = messageSrcdoc('<p>Bonjour</p>');
    expect(MESSAGE_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src cid: data:");
    const csp = doc.indexOf(`<meta http-equiv="Content-Security-Policy" content="${MESSAGE_CSP}">`);
    expect(csp).toBeGreaterThan(-1);
    expect(csp).toBeLessThan(doc.indexOf('<p>Bonjour</p>'));
  });
});
