import { api, type AppInfo } from '../api';

// Facts about the running app (version, demo mode), fetched once at start-up.
class AppInfoStore {
  info = $state<AppInfo | null>(null);

  async load(): Promise<void> {
    this.info = await api.appInfo();
  }

  get demoMode(): boolean {
    return this.info?.demo_mode ?? false;
  }
}

export const appInfo = new AppInfoStore();
