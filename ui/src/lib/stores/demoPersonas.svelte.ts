import { ApiError, api, type DemoPersona } from '../api';
import type { Problem } from '../errors';

// The local demo operator's accounts, offered on the sign-in screen in demo mode only.
class DemoPersonasStore {
  list = $state<DemoPersona[]>([]);
  problem = $state<Problem | null>(null);

  async load(): Promise<void> {
    try {
      this.list = await api.demoPersonas();
      this.problem = null;
    } catch (error) {
      this.list = [];
      this.problem = toProblem(error);
    }
  }
}

function toProblem(error: unknown): Problem {
  return error instanceof ApiError
    ? { code: error.code, message: error.message }
    : { code: 'internal', message: String(error) };
}

export const demoPersonas = new DemoPersonasStore();
