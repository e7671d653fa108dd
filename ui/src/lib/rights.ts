import type { BoxView } from './api';

/**
 * What a person may do in a box from the window, from their IMAP rights (RFC 4314): the one
 * home of that rule in the front end. Sending as the box and deleting come from the engine
 * (`can_send`, `can_delete`, the same rule as the server's checks in relais-core); the other
 * powers read one right each.
 *
 * - `l` lookup, `r` read: the box is listed and read (nothing to hide without them: the
 *   engine does not open a box it cannot read);
 * - `s` keeps the shared read state (« lu / non lu »);
 * - `w` writes flags and keywords: « Suivi », « Pris en charge », « Traité »;
 * - `i` inserts: messages moved or copied into the box, its Sent copy, hence sending as it;
 * - `p` posts to the box by SMTP: no window action;
 * - `k` creates folders, `x` deletes and renames them;
 * - `t` marks deleted and `e` expunges: deleting, and moving out (a move takes the messages
 *   out of their folder);
 * - `a` administers the rights: no window action (Relais does not edit ACLs).
 */
export interface BoxPowers {
  keepSeen: boolean;
  flag: boolean;
  receive: boolean;
  send: boolean;
  createFolder: boolean;
  changeFolder: boolean;
  remove: boolean;
  moveOut: boolean;
}

type Rights = Pick<BoxView, 'rights' | 'can_send' | 'can_delete'>;

export function powers(box: Rights | undefined): BoxPowers {
  const has = (right: string) => !!box && box.rights.includes(right);
  const remove = !!box?.can_delete;
  return {
    keepSeen: has('s'),
    flag: has('w'),
    receive: has('i'),
    send: !!box?.can_send,
    createFolder: has('k'),
    changeFolder: has('x'),
    remove,
    // Out of this box's folder (delete rights here) and into a folder that accepts mail.
    moveOut: remove && has('i'),
  };
}

/** Whether messages of `from` may be moved into a folder of `to` (the same box or another). */
export function mayMove(from: Rights | undefined, to: Rights | undefined): boolean {
  return powers(from).remove && powers(to).receive;
}
