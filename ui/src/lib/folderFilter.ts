// The type-ahead of « Déplacer vers… »: a folder matches when every word typed is in its
// shown name or its path, accents and case ignored (« clas » finds « Classés »).

import type { FolderView } from './api';

/** Lower case without accents. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function folderMatches(folder: Pick<FolderView, 'display_name' | 'path'>, query: string): boolean {
  const haystack = fold(`${folder.display_name} ${folder.path}`);
  return fold(query)
    .split(/\s+/)
    .filter((word) => word.length > 0)
    .every((word) => haystack.includes(word));
}
