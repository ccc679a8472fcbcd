/** validate.ts's checks of the app-settings and allowance commands (see there: same rules, same messages). */
import {
  canonicalAmountMessage,
  AMOUNT_RULE,
  canonicalUserIdMessage,
  currencyMessage,
  CURRENCY_RULE,
  isAllowancePeriod,
  isAppScope,
  isCanonicalAmount,
  isCurrency,
  isUserId,
  ALLOWANCE_PERIODS,
  APP_SCOPE_RULE,
  MAX_APP_SETTING_CURRENCIES,
} from '@coffer/contracts';

type Fields = Record<string, unknown>;
type Report = (field: string, message: string) => void;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Each field may be absent (unchanged) or null (a new app's setting); else its rule. */
export function appSettingsProblem(c: Fields, problem: Report): void {
  const listOf = (field: string, valid: (value: unknown) => boolean, rule: string) => {
    const value = c[field];
    if (value === undefined || value === null) return;
    const ok = Array.isArray(value) && value.length <= MAX_APP_SETTING_CURRENCIES && value.every(valid) && new Set(value).size === value.length;
    if (!ok) problem(field, `${field} must be null or a list of distinct values, each ${rule}, at most ${MAX_APP_SETTING_CURRENCIES}`);
  };
  listOf('scopes', isAppScope, APP_SCOPE_RULE);
  listOf('currencies', isCurrency, CURRENCY_RULE);
  const limits = c.mint_limit_per_day;
  if (limits !== undefined && limits !== null) {
    const ok =
      isObject(limits) &&
      Object.keys(limits).length <= MAX_APP_SETTING_CURRENCIES &&
      Object.entries(limits).every(([currency, amount]) => isCurrency(currency) && isCanonicalAmount(amount));
    if (!ok) problem('mint_limit_per_day', `mint_limit_per_day must be null or map at most ${MAX_APP_SETTING_CURRENCIES} currencies (${CURRENCY_RULE}) to amounts (${AMOUNT_RULE}, as strings of digits)`);
  }
}

export function allowanceProblem(type: string, c: Fields, problem: Report): void {
  if (!isCurrency(c.currency)) problem('currency', currencyMessage());
  if (type === 'SetAllowance') {
    if (!isCanonicalAmount(c.amount)) problem('amount', canonicalAmountMessage('amount'));
    if (!isAllowancePeriod(c.period)) problem('period', `period must be one of ${ALLOWANCE_PERIODS.join(', ')}`);
  }
  if (type === 'ClaimAllowance' && !isUserId(c.user_id)) problem('user_id', canonicalUserIdMessage('user_id'));
}
