import { api, type DegradedFeature } from '../api';

/** What each box's server does not offer (asked once per session and box). */
export class ServerStore {
  degraded = $state<Record<string, DegradedFeature[]>>({});
  private asked = new Set<string>();

  /** Asks once for `box`; a failure goes to `onError` and is asked again next time. */
  ensure(box: string, onError: (error: unknown) => void): void {
    if (this.asked.has(box)) return;
    this.asked.add(box);
    api
      .degradedFeatures(box)
      .then((list) => (this.degraded[box] = list))
      .catch((error: unknown) => {
        this.asked.delete(box);
        onError(error);
      });
  }

  reset(): void {
    this.degraded = {};
    this.asked.clear();
  }
}

export const server = new ServerStore();
