// A web link clicked in a message, waiting for the person to confirm it (LinkDialog).
// Nothing opens until they do: the dialog shows the link's real target first.

import type { LinkRequest } from '../api';

class LinkStore {
  pending = $state<LinkRequest | null>(null);

  ask(request: LinkRequest): void {
    this.pending = request;
  }

  close(): void {
    this.pending = null;
  }
}

export const link = new LinkStore();
