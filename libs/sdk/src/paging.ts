/**
 * A list as an async iterator over its cursor pages: `for await (const tx of list)` reads page
 * after page only as far as the loop goes (a `break` stops the requests), one request at a time.
 */
import type { Page } from './types.js';

export class PageIterator<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
    private readonly firstCursor?: string,
  ) {}

  /** Each page in turn, cursor to cursor. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.firstCursor;
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield page;
      if (page.next_cursor === null || page.next_cursor === undefined) return;
      // A cursor that points at its own page would loop for ever: a server fault, stopped here.
      if (page.next_cursor === cursor) throw new Error(`the list answered cursor ${cursor} as its own next page`);
      cursor = page.next_cursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** The first page only (with its next_cursor, to resume later). */
  async first(): Promise<Page<T>> {
    return this.fetchPage(this.firstCursor);
  }

  /** Every item, at most `max` of them (a bound, so a long history cannot fill memory). */
  async toArray(max = 10000): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) {
      if (items.length >= max) throw new RangeError(`the list has more than ${max} items: iterate it instead`);
      items.push(item);
    }
    return items;
  }
}
