/** One git push at a time per app, as Deis does: two builds of one app would race to release. */
export class PushLocks {
  private readonly held = new Set<string>();

  /** Takes the app's lock, or answers undefined at once if a push holds it; call the result to release. */
  tryAcquire(app: string): (() => void) | undefined {
    if (this.held.has(app)) return undefined;
    this.held.add(app);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(app);
    };
  }

  isHeld(app: string): boolean {
    return this.held.has(app);
  }
}
