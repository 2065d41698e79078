// Polling schedules for link state; the reads themselves go over rtnetlink (Netns.operstate, and
// the DAD wait step's dadState in run-steps.ts).

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The reference's port-state schedule: look, then sleep 50, 500, 1000, 1000 ms between looks. */
export const OPERSTATE_DELAYS_MS: readonly number[] = [0, 50, 500, 1000, 1000];

/**
 * Polls `read` on the schedule until it reports 'up'; returns the last state seen
 * ('up', or e.g. 'down', or 'missing' when the link is not there).
 */
export async function pollOperstate(
  read: () => Promise<string | undefined>,
  delaysMs: readonly number[] = OPERSTATE_DELAYS_MS,
): Promise<string> {
  let state = 'missing';
  for (const delay of delaysMs) {
    if (delay > 0) await sleep(delay);
    state = (await read()) ?? 'missing';
    if (state === 'up') break;
  }
  return state;
}
