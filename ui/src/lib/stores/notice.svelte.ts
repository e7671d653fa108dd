// A short message for the person (« Vous ne pouvez pas supprimer… »), shown until the
// next one or a few seconds later; it may offer one action (« Annuler » after a move).

export interface NoticeAction {
  label: string;
  run: () => void;
}

export class NoticeStore {
  text = $state<string | null>(null);
  action = $state.raw<NoticeAction | null>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;

  show(text: string, durationMs = 6000, action: NoticeAction | null = null): void {
    clearTimeout(this.timer);
    this.text = text;
    this.action = action;
    this.timer = setTimeout(() => this.dismiss(), durationMs);
  }

  /** Runs the offered action once, and closes the notice. */
  act(): void {
    const action = this.action;
    this.dismiss();
    action?.run();
  }

  dismiss(): void {
    clearTimeout(this.timer);
    this.text = null;
    this.action = null;
  }
}

export const notice = new NoticeStore();
