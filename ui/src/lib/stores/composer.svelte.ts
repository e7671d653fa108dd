// The message being written: its fields, the patient (INS) mode, attachments, draft
// autosave and sending. The component only binds fields and calls these methods; the
// Tauri calls come through `deps`, so Vitest runs this with fakes and fake timers.

import {
  ApiError,
  api,
  type AddressView,
  type ComposeRequest,
  type ComposeView,
  type HeldAttachment,
  type InsCheck,
  type PatientCheck,
  type PatientInput,
  type SendLimits,
  type SendOutcome,
} from '../api';
import { attachmentSizeProblem, birthDateProblem, outsideAddresses, signatureBlock, swapSignature } from '../compose';
import { parseFrenchDate } from '../format';
import { locale, type Locale } from './locale.svelte';

export type ComposeMode = 'new' | 'reply' | 'reply-all' | 'forward';

/** How often the draft is saved while it changes. */
export const AUTOSAVE_MS = 5000;
/** Pause in typing before the INS is checked. */
export const INS_CHECK_MS = 150;

export type ComposerApi = Pick<
  typeof api,
  | 'saveDraft'
  | 'sendMessage'
  | 'checkIns'
  | 'checkPatient'
  | 'signature'
  | 'composeReply'
  | 'composeForward'
  | 'knownAddresses'
  | 'sendLimits'
  | 'attachBytes'
  | 'attachPath'
  | 'releaseAttachment'
>;

const EMPTY_PATIENT: PatientInput = {
  ins: '',
  birth_name: '',
  first_names: '',
  birth_date: '',
  sex: '',
  birthplace: '',
};

const DEFAULT_LIMITS: SendLimits = {
  per_attachment: 10 * 1024 * 1024,
  per_message: null,
  patient_message: 25 * 1024 * 1024,
};

function messageOf(error: unknown): { code: string; message: string } {
  return error instanceof ApiError
    ? { code: error.code, message: error.message }
    : { code: 'internal', message: String(error) };
}

export class ComposerStore {
  isOpen = $state(false);
  mode = $state<ComposeMode>('new');
  fromBox = $state('');
  to = $state<AddressView[]>([]);
  cc = $state<AddressView[]>([]);
  bcc = $state<AddressView[]>([]);
  showCopies = $state(false);
  subject = $state('');
  body = $state('');
  quoted = $state<string | null>(null);
  attachments = $state<HeldAttachment[]>([]);
  deliveryReceipt = $state(false);
  readReceipt = $state(false);
  patientMode = $state(false);
  patient = $state<PatientInput>({ ...EMPTY_PATIENT });
  /** The birth date as typed, JJ/MM/AAAA; `patient.birth_date` holds its ISO form. */
  birthDateText = $state('');
  insCheck = $state<InsCheck | null>(null);
  patientCheck = $state<PatientCheck | null>(null);
  closeConversation = $state(false);
  inReplyTo = $state<string | null>(null);
  references = $state<string[]>([]);
  draftId = $state<number | null>(null);
  /** When the draft was last saved (ms), for « Brouillon enregistré à 10:42 ». */
  savedAt = $state<number | null>(null);
  draftProblem = $state<string | null>(null);
  saving = $state(false);
  sending = $state(false);
  loading = $state(false);
  /** A send error, in French, shown above the buttons. */
  problem = $state<string | null>(null);
  /** A file refused before it was attached (size), naming it. */
  attachmentProblem = $state<string | null>(null);
  /** Addresses outside the trust space waiting for the person's confirmation. */
  confirmOutside = $state<string[] | null>(null);
  known = $state.raw<AddressView[]>([]);
  limits = $state.raw<SendLimits>(DEFAULT_LIMITS);
  /** Set when the last message left (or waits in the outbox). */
  lastOutcome = $state.raw<SendOutcome | null>(null);

  private signatureLine = '';
  private lastSaved = '';
  private autosaveTimer: ReturnType<typeof setInterval> | undefined;
  private insTimer: ReturnType<typeof setTimeout> | undefined;
  private insRequest = 0;
  private allowOutside = false;

  constructor(
    private readonly deps: ComposerApi = api,
    private readonly lang: () => Locale = () => 'fr',
  ) {}

  // ─── opening ─────────────────────────────────────────────────────────────────────

  /** A new message from `fromBox`, to `to` when given (a `mailto:` link). */
  async openNew(fromBox: string, to: AddressView[] = []): Promise<void> {
    this.reset('new');
    this.fromBox = fromBox;
    this.to = to;
    this.isOpen = true;
    await this.loadSignature(true);
    this.afterOpen();
  }

  /** A reply, reply-all or forward of message `id`, pre-filled by the engine. */
  async openFrom(mode: Exclude<ComposeMode, 'new'>, id: number, sendable: string[], fallbackBox: string): Promise<void> {
    this.reset(mode);
    this.isOpen = true;
    this.loading = true;
    try {
      const view =
        mode === 'forward'
          ? await this.deps.composeForward(id, false)
          : await this.deps.composeReply(id, mode === 'reply-all');
      this.fill(view, sendable.includes(view.from_box) ? view.from_box : fallbackBox);
    } catch (error) {
      this.problem = messageOf(error).message;
      this.fromBox = fallbackBox;
    } finally {
      this.loading = false;
    }
    await this.loadSignature(true);
    this.afterOpen();
  }

  /** Goes on writing a draft (of a Drafts folder, or kept on this computer). */
  async openDraft(load: () => Promise<ComposeView>, fallbackBox: string): Promise<void> {
    this.reset('new');
    this.isOpen = true;
    this.loading = true;
    try {
      const view = await load();
      this.fill(view, view.from_box);
      this.bcc = view.bcc;
      this.showCopies = view.cc.length > 0 || view.bcc.length > 0;
      this.body = view.text;
      this.draftId = view.draft_id;
    } catch (error) {
      this.problem = messageOf(error).message;
      this.fromBox = fallbackBox;
    } finally {
      this.loading = false;
    }
    // The saved words hold their signature already: only remember its line, so that a
    // change of From box still swaps it.
    try {
      this.signatureLine = this.fromBox ? await this.deps.signature(this.fromBox) : '';
    } catch {
      this.signatureLine = '';
    }
    this.afterOpen();
  }

  private fill(view: ComposeView, fromBox: string): void {
    this.fromBox = fromBox;
    this.to = view.to;
    this.cc = view.cc;
    this.showCopies = view.cc.length > 0;
    this.subject = view.subject;
    this.quoted = view.quoted;
    this.attachments = view.attachments;
    this.inReplyTo = view.in_reply_to;
    this.references = view.references;
  }

  private afterOpen(): void {
    this.lastSaved = this.snapshot();
    this.deps
      .knownAddresses()
      .then((list) => (this.known = list))
      .catch(() => (this.known = []));
    this.deps
      .sendLimits()
      .then((limits) => (this.limits = limits))
      .catch(() => undefined);
    this.startAutosave();
  }

  private async loadSignature(initial: boolean): Promise<void> {
    const old = this.signatureLine;
    let line = '';
    try {
      line = this.fromBox ? await this.deps.signature(this.fromBox) : '';
    } catch {
      line = '';
    }
    this.signatureLine = line;
    this.body = initial && !this.body.trim() ? signatureBlock(line) : swapSignature(this.body, old, line);
  }

  /** The From box changed: its signature replaces the old one unless it was edited. */
  async changeFrom(address: string): Promise<void> {
    this.fromBox = address;
    await this.loadSignature(false);
  }

  private reset(mode: ComposeMode): void {
    this.stopTimers();
    this.mode = mode;
    this.fromBox = '';
    this.to = [];
    this.cc = [];
    this.bcc = [];
    this.showCopies = false;
    this.subject = '';
    this.body = '';
    this.quoted = null;
    this.attachments = [];
    this.deliveryReceipt = false;
    this.readReceipt = false;
    this.patientMode = false;
    this.patient = { ...EMPTY_PATIENT };
    this.birthDateText = '';
    this.insCheck = null;
    this.patientCheck = null;
    this.closeConversation = false;
    this.inReplyTo = null;
    this.references = [];
    this.draftId = null;
    this.savedAt = null;
    this.draftProblem = null;
    this.problem = null;
    this.attachmentProblem = null;
    this.confirmOutside = null;
    this.allowOutside = false;
    this.signatureLine = '';
    this.lastOutcome = null;
  }

  // ─── patient (INS) ───────────────────────────────────────────────────────────────

  /** The INS field changed: checked once typing pauses. */
  insChanged(text: string): void {
    this.patient.ins = text;
    clearTimeout(this.insTimer);
    if (!text.trim()) {
      this.insCheck = null;
      return;
    }
    this.insTimer = setTimeout(() => void this.checkIns(), INS_CHECK_MS);
  }

  async checkIns(): Promise<void> {
    const request = ++this.insRequest;
    try {
      const check = await this.deps.checkIns(this.patient.ins);
      if (request === this.insRequest) this.insCheck = check;
    } catch (error) {
      if (request === this.insRequest) {
        this.insCheck = { valid: false, formatted: null, address: null, kind: null, error: messageOf(error).message };
      }
    }
  }

  /**
   * The birth date field changed. The engine receives `YYYY-MM-DD` once the date is whole
   * and real, and nothing before, as the native date field used to send.
   */
  birthDateChanged(text: string, today: Date = new Date()): void {
    this.birthDateText = text;
    const typed = parseFrenchDate(text, today);
    this.patient.birth_date = typed.kind === 'valid' ? typed.iso : '';
    if (this.patientCheck) void this.checkPatient();
  }

  /** What is wrong with the typed birth date, in the person's language, or `null`. */
  birthDateProblem(today: Date = new Date()): string | null {
    return birthDateProblem(parseFrenchDate(this.birthDateText, today), this.lang());
  }

  /** The INS error to show under the field, or `null`. */
  get insError(): string | null {
    return this.insCheck && !this.insCheck.valid ? this.insCheck.error : null;
  }

  /** `<INS>@patient.mssante.fr` once the INS is valid. */
  get patientAddress(): string | null {
    return this.insCheck?.valid ? this.insCheck.address : null;
  }

  // ─── attachments ─────────────────────────────────────────────────────────────────

  /** Files chosen in the file dialog: checked for size first, then handed to Rust. */
  async addFiles(files: Iterable<File>): Promise<void> {
    this.attachmentProblem = null;
    for (const file of files) {
      const tooLarge = attachmentSizeProblem(file.name, file.size, this.limits.per_attachment, this.lang());
      if (tooLarge) {
        this.attachmentProblem = tooLarge;
        continue;
      }
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const held = await this.deps.attachBytes(file.name, file.type, bytes);
        this.attachments = [...this.attachments, held];
      } catch (error) {
        this.attachmentProblem = messageOf(error).message;
      }
    }
  }

  /** Files dropped on the window (paths); Rust checks their size. */
  async addPaths(paths: string[]): Promise<void> {
    this.attachmentProblem = null;
    for (const path of paths) {
      try {
        const held = await this.deps.attachPath(path);
        this.attachments = [...this.attachments, held];
      } catch (error) {
        this.attachmentProblem = messageOf(error).message;
      }
    }
  }

  removeAttachment(token: number): void {
    this.attachments = this.attachments.filter((a) => a.token !== token);
    void this.deps.releaseAttachment(token).catch(() => undefined);
  }

  // ─── drafts ──────────────────────────────────────────────────────────────────────

  request(): ComposeRequest {
    const patient = this.patientMode ? { ...this.patient } : null;
    return {
      from_box: this.fromBox,
      to: this.to.map((a) => ({ ...a })),
      cc: this.cc.map((a) => ({ ...a })),
      bcc: this.bcc.map((a) => ({ ...a })),
      subject: this.subject,
      body: this.body,
      quoted: this.quoted,
      attachments: this.attachments.map((a) => a.token),
      delivery_receipt: this.deliveryReceipt,
      read_receipt: this.readReceipt,
      allow_outside: this.allowOutside,
      patient,
      close_conversation: this.patientMode && this.closeConversation,
      in_reply_to: this.inReplyTo,
      references: [...this.references],
      draft_id: this.draftId,
    };
  }

  /** What a draft holds, to know whether it changed since the last save. */
  private snapshot(): string {
    const r = this.request();
    return JSON.stringify({ ...r, draft_id: null, allow_outside: false });
  }

  get dirty(): boolean {
    return this.snapshot() !== this.lastSaved;
  }

  private startAutosave(): void {
    clearInterval(this.autosaveTimer);
    this.autosaveTimer = setInterval(() => void this.saveIfDirty(), AUTOSAVE_MS);
  }

  /** Saves the draft when it changed (the autosave tick, closing, locking). */
  async saveIfDirty(): Promise<void> {
    if (!this.isOpen || this.saving || this.sending || !this.fromBox || !this.dirty) return;
    const snapshot = this.snapshot();
    const request = this.request();
    // A draft keeps the patient's address, not their traits: send them only when valid.
    if (request.patient && !this.patientCheckValid()) request.patient = null;
    this.saving = true;
    try {
      const saved = await this.deps.saveDraft(request);
      this.draftId = saved.id;
      this.lastSaved = snapshot;
      this.savedAt = Date.now();
      this.draftProblem = saved.server_error;
    } catch (error) {
      this.draftProblem = messageOf(error).message;
    } finally {
      this.saving = false;
    }
  }

  private patientCheckValid(): boolean {
    return this.patientCheck?.summary != null;
  }

  // ─── sending ─────────────────────────────────────────────────────────────────────

  /** Checks the patient's traits (before sending, and as the fields change). */
  async checkPatient(): Promise<PatientCheck | null> {
    if (!this.patientMode) return null;
    try {
      this.patientCheck = await this.deps.checkPatient({ ...this.patient });
    } catch (error) {
      this.problem = messageOf(error).message;
      this.patientCheck = null;
    }
    return this.patientCheck;
  }

  /**
   * Sends, after the checks the person must see first: a recipient, the patient's
   * identity, and the trust-space confirmation. Returns true when the message is queued.
   */
  async send(): Promise<boolean> {
    if (this.sending || this.loading) return false;
    this.problem = null;
    if (this.patientMode) {
      const check = await this.checkPatient();
      if (!check) return false;
      if (!check.summary) {
        this.problem =
          check.ins.error ??
          check.birth_name_error ??
          check.first_names_error ??
          // Said about JJ/MM/AAAA, as the person typed it, not about the ISO form sent.
          (check.birth_date_error ? (this.birthDateProblem() ?? check.birth_date_error) : null) ??
          check.sex_error ??
          check.birthplace_error ??
          null;
        return false;
      }
    }
    if (this.to.length + this.cc.length + this.bcc.length === 0 && !this.patientMode) {
      this.problem = this.lang() === 'en' ? 'The message has no recipient.' : "Le message n'a aucun destinataire.";
      return false;
    }
    const outside = outsideAddresses([this.to, this.cc, this.bcc]);
    if (outside.length > 0 && !this.allowOutside) {
      this.confirmOutside = outside;
      return false;
    }
    return this.submit();
  }

  /** The person confirmed sending outside the trust space. */
  confirmSendOutside(): Promise<boolean> {
    this.allowOutside = true;
    this.confirmOutside = null;
    return this.submit();
  }

  cancelSendOutside(): void {
    this.confirmOutside = null;
  }

  private async submit(): Promise<boolean> {
    this.sending = true;
    try {
      this.lastOutcome = await this.deps.sendMessage(this.request());
      this.close(false);
      return true;
    } catch (error) {
      const { code, message } = messageOf(error);
      if (code === 'outside_trust_space') {
        this.confirmOutside = outsideAddresses([this.to, this.cc, this.bcc]);
      } else {
        this.problem = message;
      }
      return false;
    } finally {
      this.sending = false;
    }
  }

  /** Closes the composer; `keepDraft` saves what changed first. */
  async closeAndSave(): Promise<void> {
    await this.saveIfDirty();
    this.close(false);
  }

  private close(release: boolean): void {
    this.stopTimers();
    if (release) for (const a of this.attachments) void this.deps.releaseAttachment(a.token).catch(() => undefined);
    this.isOpen = false;
  }

  /** Throws the message away (the local draft stays among the drafts). */
  discard(): void {
    this.close(true);
  }

  private stopTimers(): void {
    clearInterval(this.autosaveTimer);
    clearTimeout(this.insTimer);
    this.autosaveTimer = undefined;
  }
}

export const composer = new ComposerStore(api, () => locale.current);
