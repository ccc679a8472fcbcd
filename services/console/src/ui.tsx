/** Small pieces every page uses: labelled fields, notices, tables that scroll on a phone. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiAnswer } from './api';

export function Notice({ error, children }: { error?: boolean; children: ComponentChildren }) {
  return (
    <p class={error ? 'notice error' : 'notice'} role={error ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

export function Field(props: { label: string; name: string; value: string; onInput: (value: string) => void; type?: 'text' | 'password'; placeholder?: string; required?: boolean; autocomplete?: string }) {
  const id = `field-${props.name}`;
  const common = {
    id,
    name: props.name,
    value: props.value,
    placeholder: props.placeholder,
    required: props.required,
    autocomplete: props.autocomplete ?? 'off',
    onInput: (event: Event) => props.onInput((event.target as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {/* Two elements: Preact's types tie each input type to the attributes it takes. */}
      {props.type === 'password' ? <input type="password" {...common} /> : <input type="text" {...common} />}
    </div>
  );
}

export function Table({ caption, head, rows, empty }: { caption: string; head: string[]; rows: ComponentChildren[][]; empty?: string }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {head.map((cell) => (
              <th scope="col">{cell}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={head.length} class="empty">
                {empty ?? 'nothing yet'}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr>
                {row.map((cell) => (
                  <td>{cell}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** GETs `path` once (and again when `refresh` changes, or every `everyMs`). */
export function useGet<T>(path: string, refresh: unknown = 0, everyMs?: number): ApiAnswer<T> | undefined {
  const [answer, setAnswer] = useState<ApiAnswer<T>>();
  useEffect(() => {
    let live = true;
    const load = () => void api<T>(path).then((next) => live && setAnswer(next));
    load();
    const timer = everyMs ? setInterval(load, everyMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [path, refresh]);
  return answer;
}

export function Loading<T>({ answer, children }: { answer: ApiAnswer<T> | undefined; children: (body: T) => ComponentChildren }) {
  if (!answer) return <p class="muted">loading…</p>;
  if (!answer.ok) return <Notice error>{answer.error}</Notice>;
  return <>{children(answer.body)}</>;
}

export const time = (value: string | null | undefined): string => (value ? new Date(value).toLocaleString() : '—');
