/**
 * The runtime's AbortSignal where it has one (DOM, Node, Deno and Bun all declare it), else
 * the part the SDK uses: the published types must not require the DOM's or Node's declarations.
 */
export type AbortSignalLike = typeof globalThis extends { AbortSignal: { prototype: infer Signal } }
  ? Signal
  : {
      readonly aborted: boolean;
      readonly reason?: unknown;
      addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
      removeEventListener(type: 'abort', listener: () => void): void;
    };
