/**
 * `roomlink doctor` must check that the key provider can open the stored data keys (docs/errors.md,
 * exit 77), not only that it knows the master key ids they name.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/cli/doctor.js';
import { EXIT } from '../src/cli/exit.js';
import { wrapContext } from '../src/crypto/envelope.js';
import { EnvKeyProvider } from '../src/crypto/local-key-provider.js';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`roomlink doctor checks key material on ${label}`, () => {
    let database: TestDatabase;
    afterEach(async () => database?.drop());

    it('fails with the keys exit code when a master key id is held with the wrong material', async () => {
      database = await createTestDatabase(dialect);
      const right = { one: randomBytes(32), two: randomBytes(32) };
      const wrong = randomBytes(32);
      // Data keys under two master keys, as after a rotation with the env provider.
      const store = await openStore(database.url);
      try {
        for (const [tenant, id, key] of [
          ['t-a', 'mk-1', right.one],
          ['t-b', 'mk-2', right.two],
        ] as const) {
          const w = await new EnvKeyProvider([{ id, key }]).wrap(randomBytes(32), wrapContext(tenant, 'k'));
          await store.tenantKeys.insert({
            tenantId: tenant,
            keyId: 'k',
            wrappedKey: w.wrapped,
            masterKeyId: w.masterKeyId,
            createdAt: new Date().toISOString(),
          });
        }
      } finally {
        await store.close();
      }
      const doctor = async (masterKeys: string) => {
        const lines: string[] = [];
        const code = await runDoctor(
          {
            DATABASE_URL: database.url,
            ROOMLINK_DATA_DIR: database.dir,
            ROOMLINK_KEY_PROVIDER: 'env',
            ROOMLINK_MASTER_KEYS: masterKeys,
          },
          (line) => lines.push(line),
        );
        return { code, output: lines.join('\n') };
      };
      const b64 = (key: Buffer) => key.toString('base64');

      const good = await doctor(`mk-2:${b64(right.two)},mk-1:${b64(right.one)}`);
      expect(good.output).toContain(
        "ok    keys (env provider, 2 master key(s), 2 data key(s): tenants' and sign-in's)",
      );
      expect(good.code).toBe(EXIT.ok);

      // Same ids, but mk-1 holds other material (a mistyped value, the wrong backup).
      const bad = await doctor(`mk-2:${b64(right.two)},mk-1:${b64(wrong)}`);
      expect(bad.code).toBe(EXIT.keys);
      expect(bad.output).toContain('FAIL  keys: master key mk-1 cannot open the data keys wrapped with it');
      expect(bad.output).toContain('other key material');
      expect(bad.output).not.toContain('mk-2 cannot');
      for (const key of [right.one, right.two, wrong]) {
        expect(bad.output).not.toContain(b64(key));
        expect(bad.output).not.toContain(key.toString('hex'));
      }
    });
  });
}
