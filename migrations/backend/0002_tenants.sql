-- Tenants: who may use the Admin API (each signs with its own API secret) and whose assets,
-- peers and wallet addresses a row belongs to. The operator tenant (OPERATOR_TENANT_ID, secret
-- ADMIN_API_SECRET) is inserted or re-synced by the backend at every start. Deleted tenants are
-- kept (deleted_at) and can no longer authenticate.

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  email text,
  api_secret text NOT NULL,
  idp_consent_url text,
  idp_secret text,
  public_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX tenants_created_at_id ON tenants (created_at, id);

-- Per-tenant settings (WEBHOOK_URL, WEBHOOK_TIMEOUT, WEBHOOK_MAX_RETRY, EXCHANGE_RATES_URL,
-- WALLET_ADDRESS_URL, ILP_ADDRESS), upserted by (tenant_id, key).
CREATE TABLE tenant_settings (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  key text NOT NULL,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX tenant_settings_tenant_key ON tenant_settings (tenant_id, key)
  WHERE deleted_at IS NULL;
