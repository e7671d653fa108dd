import { ApiError, api, type EcpsSignIn, type PasswordSignIn, type SessionInfo } from '../api';
import type { Problem } from '../errors';

export type SessionStatus = 'resuming' | 'signed-out' | 'signing-in' | 'signed-in' | 'locked';

// Who is signed in, and how the last attempt went. The credentials themselves are
// never kept here: they go straight to the back end.
export class SessionStore {
  status = $state<SessionStatus>('signed-out');
  problem = $state<Problem | null>(null);
  /** The signed-in person and their boxes; `null` when signed out. */
  info = $state.raw<SessionInfo | null>(null);
  /** A sign-out the engine refused because mail would be lost: its French reason. */
  signOutBlocked = $state<string | null>(null);

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
   * engine resumes it **behind the lock screen** (the person signs in again before any mail
   * shows); otherwise the sign-in screen. A reloaded window finds the open session.
   */
  async resume(): Promise<void> {
    this.status = 'resuming';
    try {
      const resumed = await api.resumeSession();
      if (resumed?.locked) {
        this.status = 'locked';
        return;
      }
      if (resumed?.info) {
        this.info = resumed.info;
        this.status = 'signed-in';
        return;
      }
    } catch (error) {
      console.warn('Relais: no session to resume', error);
    }
    if (this.status === 'resuming') this.status = 'signed-out';
  }

  /** The person declared who they are (first sign-in that no directory knew). */
  identityDeclared(info: SessionInfo): void {
    this.info = info;
  }

  /** The lock screen signed the same person in again. */
  unlocked(info: SessionInfo): void {
    this.info = info;
    this.status = 'signed-in';
    this.problem = null;
  }

  /**
   * Signs out on request. While messages wait in the outbox or drafts exist only on this
   * computer, the engine refuses (nothing is destroyed) and `signOutBlocked` says why; the
   * person then stays, or confirms with `discardPending`. Any other failure still returns to
   * the sign-in screen.
   */
  async signOut(discardPending = false): Promise<boolean> {
    try {
      await api.signOut(discardPending);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'pending_outgoing') {
        this.signOutBlocked = error.message;
        return false;
      }
      console.error('Relais: sign-out failed', error);
    }
    this.signOutBlocked = null;
    this.info = null;
    this.status = 'signed-out';
    this.problem = null;
    return true;
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
