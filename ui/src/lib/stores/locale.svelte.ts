// The UI language. French first: MSSanté users are French health professionals;
// English is offered for colleagues and support staff.

export type Locale = 'fr' | 'en';

export const LOCALES: readonly Locale[] = ['fr', 'en'];

class LocaleStore {
  current = $state<Locale>('fr');

  set(next: Locale): void {
    this.current = next;
    // Screen readers pick their voice from <html lang>.
    if (typeof document !== 'undefined') document.documentElement.lang = next;
  }
}

export const locale = new LocaleStore();
