-- Assets and fees. An asset is a currency (code + scale) of one tenant with its own ledger
-- number; its liquidity ledger account has the asset's id, its settlement account the id in
-- settlement_account_id (both created with the asset, in the same transaction as the row).
-- Assets are soft-deleted (deleted_at); creating a deleted code+scale again brings the same row
-- back, which is why (tenant_id, code, scale) is unique over deleted rows too.

-- Ledger numbers, as upstream's smallserial: never reused, 1..32767.
CREATE SEQUENCE assets_ledger_seq AS smallint MINVALUE 1 MAXVALUE 32767 NO CYCLE;

CREATE TABLE assets (
  id uuid PRIMARY KEY,
  code text NOT NULL,
  scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 255),
  ledger smallint NOT NULL UNIQUE CHECK (ledger > 0),
  settlement_account_id uuid NOT NULL UNIQUE,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  withdrawal_threshold numeric(20,0) CHECK (withdrawal_threshold >= 0),
  liquidity_threshold numeric(20,0) CHECK (liquidity_threshold >= 0),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX assets_tenant_code_scale ON assets (tenant_id, code, scale);
CREATE INDEX assets_created_at_id ON assets (created_at, id);
CREATE INDEX assets_tenant_created_at_id ON assets (tenant_id, created_at, id);

-- Fee history: every setFee inserts a row; the newest row of each type is the asset's fee.
CREATE TABLE fees (
  id uuid PRIMARY KEY,
  asset_id uuid NOT NULL REFERENCES assets (id),
  type text NOT NULL CHECK (type IN ('SENDING', 'RECEIVING')),
  fixed_fee numeric(20,0) NOT NULL CHECK (fixed_fee >= 0),
  basis_point_fee integer NOT NULL CHECK (basis_point_fee BETWEEN 0 AND 10000),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX fees_asset_created_at_id ON fees (asset_id, created_at, id);
CREATE INDEX fees_created_at_id ON fees (created_at, id);

-- Whether a peer or a wallet address references the asset (then it may not be deleted). The
-- peers and wallet_addresses tables come with later migrations; a table that does not exist
-- yet references nothing.
CREATE FUNCTION asset_in_use(in_asset_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  found boolean;
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['peers', 'wallet_addresses'] LOOP
    IF to_regclass(tbl) IS NOT NULL THEN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE asset_id = $1)', tbl)
        INTO found USING in_asset_id;
      IF found THEN
        RETURN true;
      END IF;
    END IF;
  END LOOP;
  RETURN false;
END;
$$;

-- The tenant owning a ledger account (for tenant-scoped ledger reads and withdrawals): an
-- asset's liquidity or settlement account, or the account of a row with that id and a
-- tenant_id in one of the tables that own liquidity accounts (those created by later
-- migrations are looked at once they exist). NULL when no owner is known.
CREATE FUNCTION ledger_account_tenant(in_account_id uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
  owner uuid;
  tbl text;
BEGIN
  SELECT tenant_id INTO owner FROM assets
    WHERE id = in_account_id OR settlement_account_id = in_account_id;
  IF owner IS NOT NULL THEN
    RETURN owner;
  END IF;
  FOREACH tbl IN ARRAY ARRAY['peers', 'wallet_addresses', 'incoming_payments',
                             'outgoing_payments'] LOOP
    IF to_regclass(tbl) IS NOT NULL AND EXISTS (
        SELECT 1 FROM pg_attribute
        WHERE attrelid = to_regclass(tbl) AND attname = 'tenant_id' AND NOT attisdropped) THEN
      EXECUTE format('SELECT tenant_id FROM %I WHERE id = $1', tbl) INTO owner USING in_account_id;
      IF owner IS NOT NULL THEN
        RETURN owner;
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;
