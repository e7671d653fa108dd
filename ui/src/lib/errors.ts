import { isMessageKey, t } from '../i18n';

/** Something that went wrong, as the UI keeps it: a stable code and a French fallback. */
export interface Problem {
  code: string;
  message: string;
}

/** The text to show for `problem` in the current language. */
export function problemText(problem: Problem): string {
  const key = `error.${problem.code}`;
  // Codes the UI knows get translated; unknown ones show the back end's French message,
  // which is better than a generic "something failed".
  return isMessageKey(key) ? t(key) : problem.message;
}
