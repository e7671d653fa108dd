import { afterEach, describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { isMessageKey, t, translate } from './index';
import { locale } from '../lib/stores/locale.svelte';

afterEach(() => locale.set('fr'));

describe('t()', () => {
  it('speaks French by default', () => {
    expect(t('signin.ecps.button')).toBe('Se connecter avec e-CPS');
    expect(t('signin.title')).toBe('Relais — messagerie sécurisée de santé');
  });

  it('follows the chosen language and tags the document with it', () => {
    locale.set('en');
    expect(t('signin.ecps.button')).toBe('Sign in with e-CPS');
    expect(document.documentElement.lang).toBe('en');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('fr', 'app.version', { version: '0.1.0' })).toBe('Version 0.1.0');
    expect(translate('fr', 'app.version', { other: 1 })).toBe('Version {version}');
  });

  it('recognises message keys, e.g. error codes from the back end', () => {
    expect(isMessageKey('error.engine_not_connected')).toBe(true);
    expect(isMessageKey('error.no_such_code')).toBe(false);
    expect(isMessageKey('toString')).toBe(false);
  });

  it('has an English text for every French key, and no extra one', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(fr).sort());
    for (const [key, text] of Object.entries(en)) expect(text, key).not.toBe('');
  });
});
