/**
 * The admin token lives in sessionStorage only: gone when the tab closes, never in
 * localStorage, a cookie or a URL (a cookie would ride along with every request to the gateway,
 * a URL lands in logs and history).
 */
const KEY = 'coffer.console.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function keepToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
