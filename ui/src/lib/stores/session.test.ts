import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, type SessionInfo } from '../api';
import { problemText } from '../errors';
import { SessionStore } from './session.svelte';

vi.mock('../api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../api')>();
  return {
    ...actual,
    api: { ...actual.api, signInPassword: vi.fn(), signInEcps: vi.fn() },
  };
});

const engineMissing = new ApiError(
  'engine_not_connected',
  "Le moteur de messagerie n'est pas encore branché.",
);

const marie: SessionInfo = {
  person: {
    display_name: 'Marie MARTIN',
    national_id: '810100000041',
    login: 'marie.martin@ch-demo.mssante.fr',
    own_box: 'marie.martin@ch-demo.mssante.fr',
    declared: false,
    needs_identity: false,
  },
  boxes: [],
  no_nominative_box: false,
};

describe('SessionStore', () => {
  let session: SessionStore;

  beforeEach(() => {
    vi.mocked(api.signInPassword).mockReset();
    vi.mocked(api.signInEcps).mockReset();
    session = new SessionStore();
  });

  it('keeps the French error when the engine refuses a password sign-in', async () => {
    vi.mocked(api.signInPassword).mockRejectedValue(engineMissing);
    await session.signInWithPassword({ operator: null, login: 'marie', password: 'x' });
    expect(api.signInPassword).toHaveBeenCalledWith({
      operator: null,
      login: 'marie',
      password: 'x',
    });
    expect(session.status).toBe('signed-out');
    expect(session.problem?.code).toBe('engine_not_connected');
    expect(problemText(session.problem!)).toBe(
      "Le moteur de messagerie n'est pas encore branché.",
    );
  });

  it('is busy while the attempt runs, then signed in when it succeeds', async () => {
    let finish!: (info: SessionInfo) => void;
    vi.mocked(api.signInEcps).mockReturnValue(
      new Promise<SessionInfo>((resolve) => (finish = resolve)),
    );
    const attempt = session.signInWithEcps({ operator: null });
    expect(session.busy).toBe(true);
    finish(marie);
    await attempt;
    expect(session.status).toBe('signed-in');
    expect(session.problem).toBeNull();
    expect(session.info?.person.display_name).toBe('Marie MARTIN');
  });

  it('does not call the back end without an identifier and a password', async () => {
    await session.signInWithPassword({ operator: null, login: '  ', password: '' });
    expect(api.signInPassword).not.toHaveBeenCalled();
    expect(session.problem?.code).toBe('missing_credentials');
  });

  it('asks for the operator when "other operator" is left empty', async () => {
    await session.signInWithEcps({ operator: '' });
    expect(api.signInEcps).not.toHaveBeenCalled();
    expect(problemText(session.problem!)).toMatch(/opérateur/);
  });

  it('shows the back end message for codes the UI does not know', async () => {
    vi.mocked(api.signInEcps).mockRejectedValue(new ApiError('tls_refused', 'Certificat refusé.'));
    await session.signInWithEcps({ operator: 'op.example.fr' });
    expect(problemText(session.problem!)).toBe('Certificat refusé.');
  });
});
