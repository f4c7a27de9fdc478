// A durable storage adapter for oidc-provider on PostgreSQL (its adapter interface: upsert, find,
// findByUid, findByUserCode, consume, destroy, revokeByGrantId), so that the peer keeps its tokens the
// way DataTrust does: every issued token is a committed row, revocable and introspectable from the
// database. One table for all models; named (prepared) statements, as DataTrust's are.
import pg from 'pg';

const schema = `
CREATE TABLE IF NOT EXISTS oidc_payloads (
  model text NOT NULL, id text NOT NULL, payload jsonb NOT NULL,
  grant_id text, user_code text, uid text, expires_at timestamptz, consumed_at timestamptz,
  PRIMARY KEY (model, id));
CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (grant_id);
CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (model, user_code);
CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (model, uid);`;

const live = 'AND (expires_at IS NULL OR expires_at > now())';

export async function postgresAdapter(connectionString, connections = 16) {
  const pool = new pg.Pool({ connectionString, max: connections });
  await pool.query(schema);
  const one = async (name, text, values) => {
    const { rows } = await pool.query({ name, text, values });
    return rows[0] && { ...rows[0].payload, ...(rows[0].consumed_at ? { consumed: Math.floor(rows[0].consumed_at / 1000) } : {}) };
  };

  return class PostgresAdapter {
    constructor(model) { this.model = model; }

    async upsert(id, payload, expiresIn) {
      await pool.query({
        name: 'oidc-upsert',
        text: `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int) END)
               ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
                 user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
        values: [this.model, id, payload, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresIn ?? null],
      });
    }

    find(id) { return one('oidc-find', `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND id = $2 ${live}`, [this.model, id]); }

    findByUid(uid) { return one('oidc-find-uid', `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND uid = $2 ${live}`, [this.model, uid]); }

    findByUserCode(code) { return one('oidc-find-user-code', `SELECT payload, consumed_at FROM oidc_payloads WHERE model = $1 AND user_code = $2 ${live}`, [this.model, code]); }

    async consume(id) { await pool.query({ name: 'oidc-consume', text: 'UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2', values: [this.model, id] }); }

    async destroy(id) { await pool.query({ name: 'oidc-destroy', text: 'DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', values: [this.model, id] }); }

    async revokeByGrantId(grantId) { await pool.query({ name: 'oidc-revoke-grant', text: 'DELETE FROM oidc_payloads WHERE grant_id = $1', values: [grantId] }); }
  };
}
