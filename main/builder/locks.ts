/** One git push at a time per app, as Deis does: two builds of one app would race to release. */
export class PushLocks {
  private readonly held = new Map<string, (() => void)[]>();

  /** Takes the app's lock, or answers undefined at once if a push holds it; call the result to release. */
  tryAcquire(app: string): (() => void) | undefined {
    if (this.held.has(app)) return undefined;
    this.held.set(app, []);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const waiters = this.held.get(app) ?? [];
      this.held.delete(app);
      for (const wake of waiters) wake();
    };
  }

  isHeld(app: string): boolean {
    return this.held.has(app);
  }

  /** Resolves when the push holding the app's lock now (if any) has released it. */
  released(app: string): Promise<void> {
    const waiters = this.held.get(app);
    if (!waiters) return Promise.resolve();
    return new Promise((resolve) => waiters.push(resolve));
  }
}
