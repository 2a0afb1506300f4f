/**
 * A value written at most once that any number of readers can await. A failed cell rejects every
 * reader with its error. Waiting never creates an unhandled rejection: nothing is rejected unless a
 * reader is waiting for it.
 */
export class WriteOnceCell<T> {
  private state: { kind: "empty" } | { kind: "value"; value: T } | { kind: "error"; error: unknown } = { kind: "empty" };
  private waiters: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = [];

  get isSet(): boolean {
    return this.state.kind !== "empty";
  }

  /** The value, or undefined while empty or failed. */
  get(): T | undefined {
    return this.state.kind === "value" ? this.state.value : undefined;
  }

  /** Sets the value; returns false (and changes nothing) if the cell was already set or failed. */
  set(value: T): boolean {
    if (this.state.kind !== "empty") return false;
    this.state = { kind: "value", value };
    for (const w of this.waiters.splice(0)) w.resolve(value);
    return true;
  }

  /** Fails the cell; returns false if it was already set or failed. */
  fail(error: unknown): boolean {
    if (this.state.kind !== "empty") return false;
    this.state = { kind: "error", error };
    for (const w of this.waiters.splice(0)) w.reject(error);
    return true;
  }

  /** Resolves with the value once set. @throws the cell's error, or `signal.reason` when aborted first. */
  wait(signal?: AbortSignal): Promise<T> {
    const s = this.state;
    if (s.kind === "value") return Promise.resolve(s.value);
    if (s.kind === "error") return Promise.reject(s.error);
    return abortable(signal, (resolve, reject) => {
      const w = { resolve, reject };
      this.waiters.push(w);
      return () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
      };
    });
  }
}

/**
 * A promise that settles through `register`'s callbacks or rejects with `signal.reason` on abort;
 * `register` returns an unregister function, called on abort so no waiter leaks.
 */
export function abortable<T>(
  signal: AbortSignal | undefined,
  register: (resolve: (v: T) => void, reject: (e: unknown) => void) => () => void,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let unregister: () => void = () => undefined;
    const onAbort = (): void => {
      unregister();
      reject(signal!.reason);
    };
    unregister = register(
      (v) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
