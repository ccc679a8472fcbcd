/**
 * The refusal of a poisoned command (one whose events the store refused for their content) is
 * recorded like any refusal of a keyed command; its record must never carry the poison itself.
 * The NATS controllers refuse requests with such ids, but a caller inside the process gets past
 * them, so both writers check again here.
 */
import { isId, isText, MAX_REQUEST_ID_LENGTH, type RequestMeta } from '@coffer/contracts';

/** Whether the ids a refusal is remembered by (command id, request hash) can be stored at all. */
export function storableIds(commandId: string, requestHash: string | null): boolean {
  return isText(commandId, MAX_REQUEST_ID_LENGTH) && (requestHash === null || isId(requestHash));
}

/** The request's meta with every id that breaks the value rules dropped (the correlation id falls back to the command id). */
export function withoutUnstorableIds(meta: RequestMeta): RequestMeta {
  const id = (value: string | null) => (value !== null && isId(value) ? value : null);
  const correlation = isText(meta.correlation_id, MAX_REQUEST_ID_LENGTH) ? meta.correlation_id : meta.command_id;
  return { ...meta, correlation_id: correlation, app_id: id(meta.app_id), key_id: id(meta.key_id) };
}
