-- deleteAsset soft-deletes an asset under its row lock (FOR UPDATE) after checking that no peer
-- or wallet address uses it. A peer or wallet address created at the same moment could still
-- slip in between: its foreign key check only takes a key-share lock, which does not wait for a
-- soft delete. This trigger makes every new (or re-pointed) peer and wallet address take a
-- share lock on a live asset row, so the two serialise: whichever commits second sees the other.

CREATE FUNCTION require_live_asset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM assets WHERE id = NEW.asset_id AND deleted_at IS NULL FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'asset % does not exist or is deleted', NEW.asset_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER peers_require_live_asset BEFORE INSERT OR UPDATE OF asset_id ON peers
  FOR EACH ROW EXECUTE FUNCTION require_live_asset();
CREATE TRIGGER wallet_addresses_require_live_asset BEFORE INSERT OR UPDATE OF asset_id
  ON wallet_addresses FOR EACH ROW EXECUTE FUNCTION require_live_asset();
