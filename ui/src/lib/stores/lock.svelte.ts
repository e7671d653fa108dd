// The inactivity lock: after `seconds` without keyboard, mouse or touch input the window
// locks (the App screen then removes the mailbox from the page). `activity()` is cheap:
// it only records the time; one timer checks at the deadline.

export class LockTimer {
  locked = $state(false);
  private seconds = 0;
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private onLock: () => void = () => undefined;

  /** Starts watching (again) with a delay of `seconds`; `onLock` runs once when it locks. */
  start(seconds: number, onLock: () => void): void {
    this.stop();
    this.seconds = seconds;
    this.onLock = onLock;
    this.locked = false;
    this.last = Date.now();
    this.schedule(seconds * 1000);
  }

  /** A new delay, keeping the time already idle. */
  setDelay(seconds: number): void {
    if (this.seconds === seconds || this.timer === undefined) {
      this.seconds = seconds;
      return;
    }
    this.seconds = seconds;
    clearTimeout(this.timer);
    this.check();
  }

  /** The person did something. */
  activity(): void {
    if (!this.locked) this.last = Date.now();
  }

  /** Stops watching (signed out). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Signed in again: unlocks and watches from now. */
  unlock(): void {
    this.start(this.seconds, this.onLock);
  }

  /** Locks now (e.g. a « Verrouiller » button). */
  lockNow(): void {
    this.stop();
    this.locked = true;
    this.onLock();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(0, ms));
  }

  private check(): void {
    const idle = Date.now() - this.last;
    const delay = this.seconds * 1000;
    if (idle >= delay) {
      this.lockNow();
    } else {
      this.schedule(delay - idle);
    }
  }
}

export const lockTimer = new LockTimer();
