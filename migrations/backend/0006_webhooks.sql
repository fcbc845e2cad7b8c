-- Webhook events (src/backend/webhook/) and their deliveries: one delivery row per recipient
-- tenant. The worker claims due pending deliveries with FOR UPDATE SKIP LOCKED and leases them
-- by moving process_at past the end of the attempt and stamping claim_id, so a delivery is never
-- sent twice at once; the result is recorded only by the holder of the claim.
-- tenant_id has no foreign key so this migration stands on its own.

CREATE TABLE webhook_events (
  id uuid PRIMARY KEY,
  type text NOT NULL CHECK (type <> ''),
  data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  tenant_id uuid NOT NULL,
  withdrawal_account_id uuid,
  withdrawal_asset_id uuid,
  withdrawal_amount numeric(39,0) CHECK (withdrawal_amount >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((withdrawal_account_id IS NULL) = (withdrawal_asset_id IS NULL)
         AND (withdrawal_account_id IS NULL) = (withdrawal_amount IS NULL))
);

-- Listing: newest/oldest first by (created_at, id), all tenants or one, optionally by type.
CREATE INDEX webhook_events_created ON webhook_events (created_at, id);
CREATE INDEX webhook_events_tenant_created ON webhook_events (tenant_id, created_at, id);
CREATE INDEX webhook_events_type_created ON webhook_events (type, created_at, id);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  recipient_tenant_id uuid NOT NULL,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  last_status_code integer,
  last_error text,
  process_at timestamptz DEFAULT now(),
  claim_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, recipient_tenant_id),
  CHECK ((status = 'pending') = (process_at IS NOT NULL))
);

-- The worker: due pending deliveries, earliest first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (process_at) WHERE status = 'pending';
