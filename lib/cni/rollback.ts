/**
 * The undo steps of an ADD in progress (DESIGN: a failed ADD leaves nothing behind). Each step
 * that changed something records how to reverse it; on failure they run newest first, and an
 * undo that fails is reported on stderr without hiding the error that caused the rollback.
 */
export class Rollback {
  private readonly steps: Array<{ what: string; undo: () => Promise<unknown> }> = [];

  push(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  async run(): Promise<void> {
    for (const { what, undo } of this.steps.splice(0).reverse()) {
      try {
        await undo();
      } catch (e) {
        process.stderr.write(`rollback: could not ${what}: ${(e as Error).message}\n`);
      }
    }
  }

  /** Runs `body`; if it throws, undoes what it recorded and rethrows. */
  static async guard<T>(body: (rollback: Rollback) => Promise<T>): Promise<T> {
    const rollback = new Rollback();
    try {
      return await body(rollback);
    } catch (e) {
      await rollback.run();
      throw e;
    }
  }
}

/**
 * Waits for every part of a step done side by side, then throws the first failure (in the order
 * given). Never returns early: an undo recorded by a slower part is in place before the caller's
 * rollback runs.
 */
export async function allOrFirstError<T extends readonly unknown[]>(parts: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(parts);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
