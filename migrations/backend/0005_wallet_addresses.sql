-- Wallet addresses: the Open Payments identities of the ASE's customers, each owned by a tenant
-- and denominated in one of that tenant's assets. `url` is the public address, stored
-- lower-cased and unique across the instance. A wallet address is active while deactivated_at
-- is NULL or in the future. process_at / total_events_amount drive the
-- wallet_address.web_monetization events (triggerWalletAddressEvents).

CREATE TABLE wallet_addresses (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  asset_id uuid NOT NULL REFERENCES assets (id),
  url text NOT NULL,
  public_name text,
  deactivated_at timestamptz,
  process_at timestamptz,
  total_events_amount numeric(39, 0) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT wallet_addresses_url_lower CHECK (url = lower(url))
);
CREATE UNIQUE INDEX wallet_addresses_url ON wallet_addresses (url);
CREATE INDEX wallet_addresses_created_at_id ON wallet_addresses (created_at, id);
CREATE INDEX wallet_addresses_tenant_created_at_id ON wallet_addresses (tenant_id, created_at, id);
CREATE INDEX wallet_addresses_asset ON wallet_addresses (asset_id);
CREATE INDEX wallet_addresses_process_at ON wallet_addresses (process_at)
  WHERE process_at IS NOT NULL;

-- Extra key/value pairs of a wallet address; the visible ones appear in its Open Payments
-- document as "additionalProperties". Replaced as a whole by updateWalletAddress.
CREATE TABLE wallet_address_additional_properties (
  id uuid PRIMARY KEY,
  wallet_address_id uuid NOT NULL REFERENCES wallet_addresses (id) ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  visible_in_open_payments boolean NOT NULL,
  position integer NOT NULL,  -- order given in the input
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX wallet_address_additional_properties_wallet_address
  ON wallet_address_additional_properties (wallet_address_id, position);

-- Public keys (Ed25519 JWKs) of a wallet address, published at <url>/jwks.json while not
-- revoked. A kid is unique among a wallet address's non-revoked keys.
CREATE TABLE wallet_address_keys (
  id uuid PRIMARY KEY,
  wallet_address_id uuid NOT NULL REFERENCES wallet_addresses (id) ON DELETE CASCADE,
  kid text NOT NULL,
  x text NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX wallet_address_keys_active_kid ON wallet_address_keys (wallet_address_id, kid)
  WHERE NOT revoked;
CREATE INDEX wallet_address_keys_wallet_address_created_at_id
  ON wallet_address_keys (wallet_address_id, created_at, id);
CREATE INDEX wallet_address_keys_created_at_id ON wallet_address_keys (created_at, id);
