-- The pools' platform-fee accounts (pool:{id}:platform_fees) are found by the periodic sweep that moves
-- their balances into the platform's revenue account; this partial index holds only those accounts, so
-- the sweep reads them without scanning every member account of every pool.
CREATE INDEX ledger_accounts_platform_fees ON ledger_accounts (account_key)
  WHERE account_key LIKE 'pool:%:platform_fees';
