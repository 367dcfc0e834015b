import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerProblemHandling } from './problem-plugin.js';

/** A schema shaped like the admin settings: a nullable number, a union of constants, nothing else. */
const Body = Type.Object(
  {
    retentionDays: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    defaultLanguage: Type.Union([Type.Literal('en'), Type.Literal('fr')]),
  },
  { additionalProperties: false },
);

async function refusal(payload: object) {
  // The product's Ajv options (app.ts): no coercion, nothing removed, every error.
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });
  registerProblemHandling(app);
  app.post('/settings', { schema: { body: Body } }, async () => ({ ok: true }));
  const res = await app.inject({ method: 'POST', url: '/settings', payload });
  expect(res.statusCode).toBe(400);
  return res.json() as { detail: string; errors: { path: string; message: string }[] };
}

describe('validation errors as a person reads them', () => {
  it('says what a nullable field must be, without the null branch and the anyOf summary', async () => {
    const body = await refusal({ retentionDays: 0, defaultLanguage: 'en' });
    expect(body.errors).toEqual([{ path: 'body/retentionDays', message: 'must be >= 1' }]);
    expect(body.detail).toBe('body/retentionDays must be >= 1');
  });

  it('lists the allowed values of a union of constants once', async () => {
    const body = await refusal({ retentionDays: null, defaultLanguage: 'de' });
    expect(body.errors).toEqual([{ path: 'body/defaultLanguage', message: 'must be one of: en, fr' }]);
  });

  it('names an unknown property', async () => {
    const body = await refusal({ retentionDays: null, defaultLanguage: 'en', pinLenght: 6 });
    expect(body.errors).toEqual([{ path: 'body', message: 'must not have the property "pinLenght"' }]);
  });
});
