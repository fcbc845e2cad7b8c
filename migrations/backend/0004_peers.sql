-- ILP peers: the connectors we exchange packets with over ILP-over-HTTP, one row per (asset,
-- static ILP address). A peer belongs to its asset's tenant (tenant_id is copied from the asset
-- at creation; an asset's tenant never changes). `routes` holds every ILP address prefix the
-- peer is reachable for, the static address first. The peer's liquidity lives in the ledger
-- (account id = peer id, code 3), not here.
--
-- Every change to these tables is followed, in the same transaction, by a NOTIFY on channel
-- "peer" so that every process drops its in-memory routing table and token index.

CREATE TABLE peers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  asset_id uuid NOT NULL REFERENCES assets (id),
  static_ilp_address text NOT NULL,
  routes text[] NOT NULL,
  outgoing_token text NOT NULL,
  outgoing_endpoint text NOT NULL,
  max_packet_amount numeric(20,0) CHECK (max_packet_amount >= 0),
  liquidity_threshold numeric(20,0) CHECK (liquidity_threshold >= 0),
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT peers_asset_address UNIQUE (asset_id, static_ilp_address)
);
CREATE INDEX peers_created_at_id ON peers (created_at, id);
CREATE INDEX peers_tenant_created_at_id ON peers (tenant_id, created_at, id);

-- Incoming ILP-over-HTTP bearer tokens: whoever presents one is that peer. Stored as the
-- SHA-256 of the token (hex): tokens are write-only in the API and never leave the database in
-- clear. Unique across the instance.
CREATE TABLE peer_incoming_tokens (
  token_sha256 text PRIMARY KEY,
  peer_id uuid NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX peer_incoming_tokens_peer ON peer_incoming_tokens (peer_id);
