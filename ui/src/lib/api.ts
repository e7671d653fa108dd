// The only bridge to the Rust side. Every `invoke()` and `listen()` goes through this
// file, so the command names and payload shapes live in one place and stay typed.
// Keep these types in step with `src-tauri/src/commands.rs`.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export interface AppInfo {
  version: string;
  /** True when the app was started with a demo personas file. */
  demo_mode: boolean;
}

export type BoxKind = 'nominative' | 'organisational' | 'applicative' | 'patient';

export interface DemoBox {
  address: string;
  display_name: string;
  kind: BoxKind;
}

export interface DemoPersona {
  login: string;
  display_name: string;
  profession: string;
  /** The person's own box first, then the shared boxes they may open. */
  boxes: DemoBox[];
}

export interface PasswordSignIn {
  /** `null` selects the local demo operator; otherwise a profile file path or an address. */
  operator: string | null;
  login: string;
  password: string;
}

export interface EcpsSignIn {
  operator: string | null;
}

/** A failure reported by a command: `code` is stable, `message` is French, for display. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isCommandError(value: unknown): value is { code: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isCommandError(error)) throw new ApiError(error.code, error.message);
    // Tauri itself rejects with a plain string (unknown command, denied permission…).
    throw new ApiError('internal', String(error));
  }
}

export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  demoPersonas: () => call<DemoPersona[]>('demo_personas'),
  signInPassword: (request: PasswordSignIn) => call<void>('sign_in_password', { request }),
  signInEcps: (request: EcpsSignIn) => call<void>('sign_in_ecps', { request }),
  /** Opens `url` in the system browser, never inside the app's window. */
  openExternal: (url: string) => call<void>('plugin:opener|open_url', { url }),
};

/** Events the back end emits, by name, with their payloads. None are emitted yet. */
export type AppEvents = Record<never, never>;

export function onEvent<K extends keyof AppEvents & string>(
  name: K,
  handler: (payload: AppEvents[K]) => void,
): Promise<UnlistenFn> {
  return listen<AppEvents[K]>(name, (event) => handler(event.payload));
}
