/** Operations on one app run one at a time, in order; different apps run in parallel. */
export class AppQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier operation on the app has finished (failed ones too). */
  run<T>(app: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(app) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.tails.set(app, next);
    void next
      .catch(() => undefined)
      .then(() => {
        if (this.tails.get(app) === next) this.tails.delete(app);
      });
    return next;
  }
}
