/** Waits until `predicate` holds, polling; fails with `what` after `ms`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, what: string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
