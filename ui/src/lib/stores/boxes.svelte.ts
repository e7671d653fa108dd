import type { BoxView } from '../api';

/** The unified « Toutes les boîtes de réception » entry of the box rail. */
export const ALL_INBOXES = 'all';

export type BoxSelection = string | typeof ALL_INBOXES;

// The boxes of the session, their unread counts, and which one is open.
export class BoxesStore {
  list = $state<BoxView[]>([]);
  /** A box address, or `ALL_INBOXES`. */
  selected = $state<BoxSelection>(ALL_INBOXES);

  set(boxes: BoxView[]): void {
    this.list = boxes;
    if (this.selected !== ALL_INBOXES && !this.get(this.selected)) {
      this.selected = boxes[0]?.address ?? ALL_INBOXES;
    }
  }

  get(address: string): BoxView | undefined {
    return this.list.find((box) => box.address === address);
  }

  /** The open box, `undefined` for the unified inboxes. */
  get current(): BoxView | undefined {
    return this.selected === ALL_INBOXES ? undefined : this.get(this.selected);
  }

  get totalUnread(): number {
    return this.list.reduce((sum, box) => sum + box.unread, 0);
  }

  select(selection: BoxSelection): void {
    this.selected = selection;
  }

  setUnread(address: string, unread: number): void {
    const box = this.get(address);
    if (box) box.unread = Math.max(0, unread);
  }

  addUnread(address: string, delta: number): void {
    const box = this.get(address);
    if (box) box.unread = Math.max(0, box.unread + delta);
  }

  clear(): void {
    this.list = [];
    this.selected = ALL_INBOXES;
  }
}

export const boxes = new BoxesStore();
