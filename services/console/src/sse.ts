/**
 * Reads GET /admin/events/stream with fetch rather than EventSource: EventSource cannot send an
 * Authorization header, and the token must not go into a URL. Parses the text/event-stream
 * format (WHATWG HTML §9.2) line by line.
 */
import { storedToken } from './session';

export interface StreamedEvent {
  id: string;
  type: string;
  data: any;
}

/** Streams until `signal` aborts; resumes after a dropped connection from the last id, a bounded number of times. */
export async function followEvents(onEvent: (event: StreamedEvent) => void, onState: (state: string) => void, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt < 5 && !signal.aborted; attempt++) {
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${storedToken() ?? ''}`, accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const response = await fetch('/admin/events/stream', { headers, signal });
      if (!response.ok || !response.body) {
        onState(`not streaming (HTTP ${response.status})`);
        return;
      }
      onState('live');
      attempt = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message = parse(block);
          if (message) {
            lastId = message.id;
            onEvent(message);
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    onState('reconnecting…');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function parse(block: string): StreamedEvent | undefined {
  let id = '';
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // a comment: the heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { id, type, data: JSON.parse(data.join('\n')) };
  } catch {
    return undefined;
  }
}
