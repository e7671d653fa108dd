import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ComposeRequest, InsCheck, PatientCheck, PatientInput, SessionInfo } from '../api';
import { fromOptions, outsideAddresses, parseRecipient, swapSignature, signatureBlock } from '../compose';
import { AUTOSAVE_MS, ComposerStore, INS_CHECK_MS, type ComposerApi } from './composer.svelte';

const KEY_ERROR = 'La clé du matricule INS ne correspond pas : vérifiez la saisie.';

function fakeApi() {
  const saved: ComposeRequest[] = [];
  const api = {
    saveDraft: vi.fn(async (request: ComposeRequest) => {
      saved.push(request);
      return { id: 41, server_error: null };
    }),
    sendMessage: vi.fn(async () => ({ sent: true, state: 'done', message_id: 'x@relais', error: null })),
    checkIns: vi.fn(async (text: string): Promise<InsCheck> =>
      text.replace(/\s/g, '') === '285036444512379'
        ? { valid: true, formatted: '2 85 03 64 445 123 79', address: '285036444512379@patient.mssante.fr', kind: 'nir', error: null }
        : { valid: false, formatted: null, address: null, kind: null, error: KEY_ERROR },
    ),
    checkPatient: vi.fn(async (p: PatientInput): Promise<PatientCheck> => ({
      ins: { valid: true, formatted: null, address: null, kind: 'nir', error: null },
      birth_name_error: null,
      first_names_error: null,
      birth_date_error: null,
      sex_error: null,
      birthplace_error: null,
      summary: `${p.birth_name} ${p.first_names}`,
    })),
    signature: vi.fn(async (box: string) =>
      box.startsWith('secretariat') ? 'Marie MARTIN — pour le Secrétariat de cardiologie' : 'Marie MARTIN',
    ),
    composeReply: vi.fn(),
    composeForward: vi.fn(),
    knownAddresses: vi.fn(async () => []),
    sendLimits: vi.fn(async () => ({ per_attachment: 1000, per_message: null, patient_message: 5000 })),
    attachBytes: vi.fn(async (filename: string, _type: string, bytes: Uint8Array) => ({
      token: 7,
      filename,
      content_type: 'application/pdf',
      size: bytes.length,
    })),
    attachPath: vi.fn(),
    releaseAttachment: vi.fn(async () => undefined),
  };
  return { api: api as unknown as ComposerApi & typeof api, saved };
}

const SECRETARIAT = 'secretariat.cardio@ch-demo.mssante.fr';

describe('composer: a reopened draft', () => {
  it('goes on with the saved words, the same draft, without a second signature', async () => {
    const { api, saved } = fakeApi();
    const store = new ComposerStore(api);
    const signed = 'Bonjour,\n\nCi-joint le courrier.' + signatureBlock('Marie MARTIN — pour le Secrétariat de cardiologie');
    await store.openDraft(
      async () => ({
        from_box: SECRETARIAT,
        to: [{ name: null, address: 'dr.durand@ch-demo.mssante.fr' }],
        cc: [],
        bcc: [{ name: null, address: 'archives@ch-demo.mssante.fr' }],
        subject: 'Courrier de sortie',
        text: signed,
        quoted: null,
        attachments: [],
        in_reply_to: null,
        references: [],
        draft_id: 12,
      }),
      SECRETARIAT,
    );
    expect(store.isOpen).toBe(true);
    expect(store.body).toBe(signed);
    expect(store.subject).toBe('Courrier de sortie');
    expect(store.bcc.map((r) => r.address)).toEqual(['archives@ch-demo.mssante.fr']);
    expect(store.showCopies).toBe(true);
    expect(store.draftId).toBe(12);
    await store.closeAndSave();
    expect(saved).toHaveLength(0); // nothing changed since it was opened
  });

  it('says why when the draft cannot be opened', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openDraft(async () => {
      throw { code: 'not_a_draft', message: "Ce message n'est pas un brouillon." };
    }, SECRETARIAT);
    expect(store.problem).toBeTruthy();
    expect(store.fromBox).toBe(SECRETARIAT);
  });
});

describe('composer: draft autosave', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves every few seconds only when something changed', async () => {
    const { api, saved } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    expect(store.body).toBe(signatureBlock('Marie MARTIN — pour le Secrétariat de cardiologie'));

    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(saved).toHaveLength(0); // nothing typed yet

    store.subject = 'Compte rendu';
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 10);
    expect(saved).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(saved).toHaveLength(1);
    expect(saved[0]?.subject).toBe('Compte rendu');
    expect(saved[0]?.draft_id).toBeNull();
    expect(store.draftId).toBe(41);
    expect(store.savedAt).not.toBeNull();

    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 3);
    expect(saved).toHaveLength(1); // unchanged since

    store.body = 'Bonjour,' + store.body;
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS);
    expect(saved).toHaveLength(2);
    expect(saved[1]?.draft_id).toBe(41); // the same draft, updated
  });

  it('stops saving once the composer is closed', async () => {
    const { api, saved } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.subject = 'x';
    await store.closeAndSave();
    expect(saved).toHaveLength(1);
    store.subject = 'y';
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2);
    expect(saved).toHaveLength(1);
  });
});

describe('composer: INS', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('shows the French key error as the INS is typed, then the built address', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.patientMode = true;
    store.insChanged('2 85 03 64 445 123 78');
    expect(store.insError).toBeNull(); // waits for a pause in typing
    await vi.advanceTimersByTimeAsync(INS_CHECK_MS);
    expect(store.insError).toBe(KEY_ERROR);
    expect(store.patientAddress).toBeNull();

    store.insChanged('2 85 03 64 445 123 79');
    await vi.advanceTimersByTimeAsync(INS_CHECK_MS);
    expect(store.insError).toBeNull();
    expect(store.patientAddress).toBe('285036444512379@patient.mssante.fr');
    expect(api.checkIns).toHaveBeenCalledTimes(2);
  });

  it('checks only the last INS typed quickly', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    for (const text of ['2', '2 8', '2 85', '2 85 03 64 445 123 79']) store.insChanged(text);
    await vi.advanceTimersByTimeAsync(INS_CHECK_MS);
    expect(api.checkIns).toHaveBeenCalledTimes(1);
    expect(store.patientAddress).not.toBeNull();
  });

  it('refuses to send to a patient whose INS is wrong, with its message', async () => {
    const { api } = fakeApi();
    api.checkPatient.mockResolvedValueOnce({
      ins: { valid: false, formatted: null, address: null, kind: null, error: KEY_ERROR },
      birth_name_error: null,
      first_names_error: null,
      birth_date_error: null,
      sex_error: null,
      birthplace_error: null,
      summary: null,
    });
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.patientMode = true;
    expect(await store.send()).toBe(false);
    expect(store.problem).toBe(KEY_ERROR);
    expect(api.sendMessage).not.toHaveBeenCalled();
  });
});

describe('composer: sending', () => {
  it('asks before sending outside the trust space, then allows it', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.to = [{ name: null, address: 'someone@example.com' }, { name: null, address: 'pierre.durand@ch-demo.mssante.fr' }];
    expect(await store.send()).toBe(false);
    expect(store.confirmOutside).toEqual(['someone@example.com']);
    expect(api.sendMessage).not.toHaveBeenCalled();
    expect(await store.confirmSendOutside()).toBe(true);
    expect(api.sendMessage).toHaveBeenCalledWith(expect.objectContaining({ allow_outside: true }));
    expect(store.isOpen).toBe(false);
  });

  it('refuses a file over the limit before reading it, naming it', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    await Promise.resolve();
    const big = new File([new Uint8Array(2000)], 'Scanner.pdf');
    const small = new File([new Uint8Array(10)], 'Courrier.pdf');
    await store.addFiles([big, small]);
    expect(store.attachmentProblem).toContain('« Scanner.pdf »');
    expect(store.attachments.map((a) => a.filename)).toEqual(['Courrier.pdf']);
  });

  it('swaps the signature with the From box unless it was edited', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew('marie.martin@ch-demo.mssante.fr');
    store.body = 'Bonjour' + store.body;
    await store.changeFrom(SECRETARIAT);
    expect(store.body).toBe('Bonjour\n\nMarie MARTIN — pour le Secrétariat de cardiologie\n');
    expect(swapSignature('Bonjour\n\nSigné à la main', 'A', 'B')).toBe('Bonjour\n\nSigné à la main');
  });
});

describe('compose helpers', () => {
  const info: SessionInfo = {
    person: { display_name: 'Marie MARTIN', national_id: '810100000041', login: 'marie.martin', own_box: 'marie.martin@ch-demo.mssante.fr', declared: false, needs_identity: false },
    no_nominative_box: false,
    boxes: [
      { address: 'marie.martin@ch-demo.mssante.fr', kind: 'nominative', display_name: 'Marie MARTIN', rights: 'lrswipkxtea', can_send: true, can_delete: true, unread: 0 },
      { address: SECRETARIAT, kind: 'organisational', display_name: 'Secrétariat de cardiologie', rights: 'lrswipkxtea', can_send: true, can_delete: true, unread: 3 },
      { address: 'lecture@ch-demo.mssante.fr', kind: 'organisational', display_name: 'Lecture', rights: 'lr', can_send: false, can_delete: false, unread: 0 },
    ],
  };

  it('labels each From box with who sends for whom', () => {
    expect(fromOptions(info, 'fr')).toEqual([
      { address: 'marie.martin@ch-demo.mssante.fr', label: 'Envoyé par Marie MARTIN' },
      { address: SECRETARIAT, label: 'Envoyé par Marie MARTIN pour Secrétariat de cardiologie' },
    ]);
    expect(fromOptions(info, 'en')[1]?.label).toBe('Sent by Marie MARTIN for Secrétariat de cardiologie');
  });

  it('marks names that only the person declared', () => {
    const declared: SessionInfo = { ...info, person: { ...info.person, declared: true } };
    expect(fromOptions(declared, 'fr')[1]?.label).toBe(
      'Envoyé par Marie MARTIN (déclaré) pour Secrétariat de cardiologie',
    );
    expect(fromOptions(declared, 'en')[0]?.label).toBe('Sent by Marie MARTIN (declared)');
  });

  it('knows the trust space and reads typed recipients', () => {
    expect(outsideAddresses([[{ name: null, address: 'a@mssante.fr' }, { name: null, address: 'b@x.mssante.fr' }, { name: null, address: 'c@mssante.fr.evil.com' }]])).toEqual(['c@mssante.fr.evil.com']);
    expect(parseRecipient('Dr LEROY <jacques.leroy@cardio-pau.mssante.fr>')).toEqual({ name: 'Dr LEROY', address: 'jacques.leroy@cardio-pau.mssante.fr' });
    expect(parseRecipient('pas une adresse')).toBeNull();
  });
});

describe('composer: birth date typed as JJ/MM/AAAA', () => {
  const today = new Date(2026, 10, 19);

  it('sends the engine the ISO date only once it is whole and real', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.patientMode = true;
    store.birthDateChanged('14/03', today);
    expect(store.patient.birth_date).toBe('');
    store.birthDateChanged('14/03/1985', today);
    expect(store.birthDateText).toBe('14/03/1985');
    expect(store.patient.birth_date).toBe('1985-03-14');
    store.birthDateChanged('31/04/1985', today);
    expect(store.patient.birth_date).toBe('');
    expect(store.birthDateProblem(today)).toBe("Cette date n'existe pas : vérifiez le jour et le mois (JJ/MM/AAAA).");
  });

  it('refuses to send with the message about JJ/MM/AAAA, not the engine\'s ISO one', async () => {
    const { api } = fakeApi();
    api.checkPatient.mockResolvedValueOnce({
      ins: { valid: true, formatted: null, address: null, kind: 'nir', error: null },
      birth_name_error: null,
      first_names_error: null,
      birth_date_error: 'Date de naissance « » invalide : une date existante au format AAAA-MM-JJ est attendue.',
      sex_error: null,
      birthplace_error: null,
      summary: null,
    });
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.patientMode = true;
    store.birthDateChanged('14/03/19', today);
    expect(await store.send()).toBe(false);
    expect(store.problem).toBe(
      'Date de naissance incomplète : écrivez-la au format JJ/MM/AAAA, par exemple 14/03/1985.',
    );
    expect(api.sendMessage).not.toHaveBeenCalled();
  });

  it('forgets the typed date with the rest of the message', async () => {
    const { api } = fakeApi();
    const store = new ComposerStore(api);
    await store.openNew(SECRETARIAT);
    store.birthDateChanged('14/03/1985', today);
    store.discard();
    await store.openNew(SECRETARIAT);
    expect(store.birthDateText).toBe('');
    expect(store.patient.birth_date).toBe('');
  });
});
