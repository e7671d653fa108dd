// A small rune-friendly wrapper around TanStack Virtual's framework-free core.
// (@tanstack/svelte-virtual exposes Svelte stores built for Svelte 3/4; driving
// `virtual-core` directly keeps everything in runes and gives us full control.)

import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
} from '@tanstack/virtual-core';

export interface VirtualRowsOptions {
  count: number;
  /** Height of one row in CSS pixels (rows all have the same height). */
  rowHeight: number;
  overscan?: number;
}

export class VirtualRows {
  /** Rows to render now, with their offsets. */
  items = $state.raw<VirtualItem[]>([]);
  /** Height of the whole list, for the spacer that gives the scroll bar its size. */
  totalSize = $state(0);

  private element: HTMLElement | null = null;
  private readonly virtualizer: Virtualizer<HTMLElement, HTMLElement>;
  private options: VirtualRowsOptions;

  constructor(options: VirtualRowsOptions) {
    this.options = options;
    this.virtualizer = new Virtualizer<HTMLElement, HTMLElement>(this.resolved());
  }

  /** Binds to the scrolling element; returns the clean-up for `$effect`. */
  attach(element: HTMLElement): () => void {
    this.element = element;
    const unmount = this.virtualizer._didMount();
    this.virtualizer._willUpdate();
    this.publish();
    return () => {
      unmount();
      this.element = null;
    };
  }

  update(options: Partial<VirtualRowsOptions>): void {
    this.options = { ...this.options, ...options };
    this.virtualizer.setOptions(this.resolved());
    this.virtualizer._willUpdate();
    this.publish();
  }

  /** Scrolls just enough to show row `index`. */
  scrollToIndex(index: number): void {
    if (index >= 0 && index < this.options.count) {
      this.virtualizer.scrollToIndex(index, { align: 'auto' });
    }
  }

  private resolved() {
    const { count, rowHeight, overscan = 10 } = this.options;
    return {
      count,
      overscan,
      estimateSize: () => rowHeight,
      getScrollElement: () => this.element,
      getItemKey: (index: number) => index,
      scrollToFn: elementScroll,
      observeElementRect,
      observeElementOffset,
      onChange: () => this.publish(),
    };
  }

  private publish(): void {
    this.items = this.virtualizer.getVirtualItems();
    this.totalSize = this.virtualizer.getTotalSize();
  }
}
