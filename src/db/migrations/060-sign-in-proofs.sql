-- Platform launch proofs (a BigCommerce signed_payload_jwt, a Wix signed instance, a Shopify
-- id_token, a Wix install state) already spent on a sign-in. A proof is kept until it would have
-- expired anyway, so replaying one, from this web process or any other, is refused.
CREATE TABLE used_sign_in_proofs (
  kind text NOT NULL,
  digest bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (kind, digest)
);
CREATE INDEX used_sign_in_proofs_expiry ON used_sign_in_proofs (expires_at);

-- The platform user a launched session was started for (BigCommerce user id, Wix uid, Shopify
-- sub), so a session never names one person's store under another person's name.
ALTER TABLE web_sessions ADD COLUMN subject text;
