import { ApiError, api, type EcpsSignIn, type PasswordSignIn, type SessionInfo } from '../api';
import type { Problem } from '../errors';

export type SessionStatus = 'resuming' | 'signed-out' | 'signing-in' | 'signed-in';

// Who is signed in, and how the last attempt went. The credentials themselves are
// never kept here: they go straight to the back end.
export class SessionStore {
  status = $state<SessionStatus>('signed-out');
  problem = $state<Problem | null>(null);
  /** The signed-in person and their boxes; `null` when signed out. */
  info = $state.raw<SessionInfo | null>(null);

  get busy(): boolean {
    return this.status === 'signing-in';
  }

  signInWithPassword(request: PasswordSignIn): Promise<void> {
    if (!request.login.trim() || !request.password) {
      return this.fail({ code: 'missing_credentials', message: '' });
    }
    return this.attempt(() => api.signInPassword(request), request.operator);
  }

  signInWithEcps(request: EcpsSignIn): Promise<void> {
    return this.attempt(() => api.signInEcps(request), request.operator);
  }

  private async attempt(signIn: () => Promise<SessionInfo>, operator: string | null): Promise<void> {
    if (this.busy) return;
    // `null` is the demo operator; an empty "other operator" field is a user slip.
    if (operator !== null && !operator.trim()) {
      return this.fail({ code: 'missing_operator', message: '' });
    }
    this.status = 'signing-in';
    this.problem = null;
    try {
      this.info = await signIn();
      this.status = 'signed-in';
    } catch (error) {
      this.status = 'signed-out';
      this.problem =
        error instanceof ApiError
          ? { code: error.code, message: error.message }
          : { code: 'internal', message: String(error) };
    }
  }

  /**
   * At start-up: when the profile holds an account whose secret is in the keyring, the
   * engine opens it and the mailbox shows at once; otherwise the sign-in screen.
   */
  async resume(): Promise<void> {
    this.status = 'resuming';
    try {
      const info = await api.resumeSession();
      if (info) {
        this.info = info;
        this.status = 'signed-in';
        return;
      }
    } catch (error) {
      console.warn('Relais: no session to resume', error);
    }
    if (this.status === 'resuming') this.status = 'signed-out';
  }

  /** The lock screen signed the same person in again. */
  unlocked(info: SessionInfo): void {
    this.info = info;
    this.status = 'signed-in';
    this.problem = null;
  }

  /** Signs out on request; the screen goes back to sign-in even if the engine fails. */
  async signOut(): Promise<void> {
    try {
      await api.signOut();
    } catch (error) {
      console.error('Relais: sign-out failed', error);
    }
    this.info = null;
    this.status = 'signed-out';
    this.problem = null;
  }

  /** The engine ended the session (`session-ended`): back to sign-in, with its reason. */
  ended(reason: string): void {
    this.info = null;
    this.status = 'signed-out';
    this.problem = { code: 'session_ended', message: reason };
  }

  private async fail(problem: Problem): Promise<void> {
    this.status = 'signed-out';
    this.info = null;
    this.problem = problem;
  }
}

export const session = new SessionStore();
