-- The baseline wallet: the schema a typical wallet service starts with. Balances are columns
-- of one row per account, changed in place under row locks; every request is one transaction.
-- Accounts: users by their user_id, each app's house account as 'house:<app_id>', and the
-- 'treasury' that grants come from (double entry: per currency all balances sum to zero).

CREATE TABLE IF NOT EXISTS apps (
  app_id     text PRIMARY KEY,
  name       text NOT NULL,
  api_key    text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS users (
  user_id        text   NOT NULL,
  currency       text   NOT NULL,
  balance        bigint NOT NULL DEFAULT 0, -- posted
  pending_debit  bigint NOT NULL DEFAULT 0, -- held by open events: not available
  pending_credit bigint NOT NULL DEFAULT 0, -- promised by open events: not yet spendable
  PRIMARY KEY (user_id, currency)
);

CREATE TABLE IF NOT EXISTS events (
  event_id     bigserial PRIMARY KEY,
  app_id       text NOT NULL REFERENCES apps,
  description  text,
  status       text NOT NULL DEFAULT 'open', -- open | closed | expired
  opened_at    timestamptz NOT NULL DEFAULT now(),
  last_ping_at timestamptz,
  expires_at   timestamptz NOT NULL,
  closed_at    timestamptz,
  expired_at   timestamptz
);
-- What the sweeper scans for.
CREATE INDEX IF NOT EXISTS events_open_by_expiry ON events (expires_at) WHERE status = 'open';

CREATE TABLE IF NOT EXISTS transactions (
  transaction_id bigserial PRIMARY KEY,
  event_id       bigint REFERENCES events,
  app_id         text,
  type           text   NOT NULL, -- credit | debit | transfer | grant
  user_id        text   NOT NULL, -- the user (the sender of a transfer)
  to_user_id     text,            -- the receiver of a transfer
  debit_account  text   NOT NULL, -- money leaves this account
  credit_account text   NOT NULL, -- and arrives in this one
  amount         bigint NOT NULL CHECK (amount > 0),
  currency       text   NOT NULL,
  status         text   NOT NULL, -- pending | posted | voided
  description    text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  settled_at     timestamptz
);
CREATE INDEX IF NOT EXISTS transactions_by_user ON transactions (user_id, transaction_id DESC);
CREATE INDEX IF NOT EXISTS transactions_by_receiver ON transactions (to_user_id, transaction_id DESC) WHERE to_user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS transactions_by_event ON transactions (event_id) WHERE event_id IS NOT NULL;

-- Idempotency-Key: the first response per (app, key), stored in the same transaction as its effect.
CREATE TABLE IF NOT EXISTS idempotency (
  app_id       text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status       int  NOT NULL,
  response     jsonb NOT NULL,
  PRIMARY KEY (app_id, key)
);
