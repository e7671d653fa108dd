import { ApiError, api, type FolderView } from '../api';
import type { Problem } from '../errors';

/** The IMAP name of every inbox. */
export const INBOX = 'INBOX';

// The folders of each box (loaded when the box is first opened) and the open folder.
export class FoldersStore {
  /** Folders by box address, in tree order. */
  byBox = $state<Record<string, FolderView[]>>({});
  /** IMAP name of the open folder in the open box. */
  selected = $state<string>(INBOX);
  problem = $state<Problem | null>(null);

  of(boxAddress: string): FolderView[] {
    return this.byBox[boxAddress] ?? [];
  }

  find(boxAddress: string, name: string): FolderView | undefined {
    return this.of(boxAddress).find((folder) => folder.name === name);
  }

  async load(boxAddress: string): Promise<FolderView[]> {
    try {
      const folders = await api.listFolders(boxAddress);
      this.byBox[boxAddress] = folders;
      this.problem = null;
      return folders;
    } catch (error) {
      this.problem =
        error instanceof ApiError
          ? { code: error.code, message: error.message }
          : { code: 'internal', message: String(error) };
      return [];
    }
  }

  select(name: string): void {
    this.selected = name;
  }

  /** Adjusts a folder's unread count after a local change (read, delete). */
  addUnread(boxAddress: string, name: string, delta: number): void {
    const folder = this.find(boxAddress, name);
    if (folder) folder.unread = Math.max(0, folder.unread + delta);
  }

  clear(): void {
    this.byBox = {};
    this.selected = INBOX;
  }
}

export const folders = new FoldersStore();
