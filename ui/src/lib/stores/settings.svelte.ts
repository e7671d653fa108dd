import { api, type AppSettings, type SettingsView } from '../api';
import { locale } from './locale.svelte';

// The app's settings (lock delay, language, download folder), read at start.
export class SettingsStore {
  view = $state.raw<SettingsView | null>(null);

  /** Seconds of inactivity before the lock (10 min until the settings are read). */
  get lockSeconds(): number {
    return this.view?.lock_seconds ?? 600;
  }

  async load(): Promise<SettingsView | null> {
    try {
      this.view = await api.getSettings();
      locale.set(this.view.settings.language);
    } catch (error) {
      console.warn('Relais: settings unavailable', error);
    }
    return this.view;
  }

  async save(settings: AppSettings): Promise<SettingsView> {
    this.view = await api.setSettings(settings);
    locale.set(this.view.settings.language);
    return this.view;
  }
}

export const settings = new SettingsStore();
