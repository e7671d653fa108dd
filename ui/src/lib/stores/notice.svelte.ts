// A short message for the person (« Vous ne pouvez pas supprimer… »), shown until the
// next one or a few seconds later.
export class NoticeStore {
  text = $state<string | null>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;

  show(text: string, durationMs = 6000): void {
    clearTimeout(this.timer);
    this.text = text;
    this.timer = setTimeout(() => (this.text = null), durationMs);
  }

  dismiss(): void {
    clearTimeout(this.timer);
    this.text = null;
  }
}

export const notice = new NoticeStore();
