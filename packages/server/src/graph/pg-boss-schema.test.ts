import { describe, expect, it } from 'vitest';
import { pgBossSchemaFor } from './index.js';

describe('pgBossSchemaFor', () => {
  it('keeps pg-boss beside the schema DATABASE_URL selects', () => {
    expect(pgBossSchemaFor('postgres://db/roomlink')).toBe('pgboss');
    expect(pgBossSchemaFor('postgres://db/roomlink?options=-c%20search_path%3Dpublic')).toBe('pgboss');
    expect(pgBossSchemaFor('postgres://db/roomlink?options=-c%20search_path%3Dt_0a1b2c')).toBe(
      't_0a1b2c_pgboss',
    );
    expect(pgBossSchemaFor('postgres://db/roomlink?options=-c search_path=Tenant_A')).toBe('tenant_a_pgboss');
  });
});
