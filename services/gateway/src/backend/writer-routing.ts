import type { ReplyPacket } from '@coffer/platform';
import { subjectOf } from '@coffer/contracts';
import type { SubjectScope, WriterDirectory, WriterRoute } from '@coffer/platform';
import { NoAnswer, NoResponders } from './reply-inbox';

/** Sends the request's bytes to `subject` and waits at most `timeoutMs` for the answer. */
export type Attempt = (subject: string, timeoutMs: number) => Promise<ReplyPacket>;

const SUPERSEDED = Symbol('superseded');
const MAX_CACHED_SUBJECTS = 64;

/**
 * Delivers ledger requests to the active writer and, when another writer takes over while a
 * request waits, sends it again to the new one instead of waiting out its timeout; a request
 * NATS had nobody for (the writer gone, or not yet back after a NATS restart) is sent again as
 * soon as a writer, new or the same, is heard after it. The bytes sent again are the same (same
 * command id, body and deadline), so a command the old writer already appended is answered by
 * the new one with its first answer (the ledger remembers command ids, see README
 * "Idempotency"); each send goes through `attempt`, the one send path, which signs for the
 * subject it sends to.
 *
 * A request sent before any writer was heard of goes to the shared subject and is never sent
 * again: whoever answers it, it may be the writer we then hear of.
 */
export class WriterRouting {
  /** Requests sent again: to a newer writer, or to the same one heard again (for metrics and tests). */
  resent = 0;
  /** Subjects by pattern: a few patterns, and one more pair per takeover (cleared when large). */
  private readonly subjects = new Map<string, string>();

  constructor(
    private readonly directory: WriterDirectory,
    private readonly scope: SubjectScope,
  ) {}

  async deliver(pattern: string, timeoutMs: number, attempt: Attempt): Promise<ReplyPacket> {
    if (!this.directory.routes(pattern)) return attempt(this.subject(pattern), timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (let sends = 0; ; sends++) {
      const route = this.directory.route(pattern);
      if (sends > 0) this.resent++;
      const sentAt = this.directory.now();
      try {
        const answer = await this.untilSuperseded(attempt(this.subject(route.pattern), deadline - Date.now()), route);
        if (answer !== SUPERSEDED) return answer;
      } catch (error) {
        // Nobody listens on the writer's subject: it is gone (wait for its successor), or NATS
        // restarted and forgot it (wait until it is heard again, about 250 ms after it reconnects).
        if (!(error instanceof NoResponders) || route.term === undefined) throw error;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || !(await this.directory.announcedSince(route.term, sentAt, remaining))) throw new NoAnswer('no answer in time');
      }
      if (deadline - Date.now() <= 0) throw new NoAnswer('no answer in time');
    }
  }

  /** The answer, or SUPERSEDED as soon as a writer newer than the one addressed is announced. */
  private untilSuperseded(sent: Promise<ReplyPacket>, route: WriterRoute): Promise<ReplyPacket | typeof SUPERSEDED> {
    if (route.term === undefined) return sent;
    return new Promise((resolve, reject) => {
      const cancel = this.directory.onNewerTerm(route.term!, () => resolve(SUPERSEDED));
      // A superseded send still settles later (a late answer, or its timeout): ignored then.
      sent.then(resolve, reject).finally(cancel);
    });
  }

  private subject(pattern: string): string {
    let subject = this.subjects.get(pattern);
    if (subject === undefined) {
      if (this.subjects.size >= MAX_CACHED_SUBJECTS) this.subjects.clear();
      subject = subjectOf(pattern, this.scope.prefix, this.scope.realm);
      this.subjects.set(pattern, subject);
    }
    return subject;
  }
}
