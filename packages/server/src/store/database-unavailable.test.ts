import { describe, expect, it } from 'vitest';
import { connectionFailureReason, DatabaseUnavailable, unavailableOr } from './database-unavailable.js';

/** An error as Node or pg makes it: a message and a code. */
const failure = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('connectionFailureReason', () => {
  it("names a server that cannot be reached, in Node's words", () => {
    expect(connectionFailureReason(failure('connect ECONNREFUSED 127.0.0.1:5499', 'ECONNREFUSED'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:5499',
    );
    expect(connectionFailureReason(failure('getaddrinfo ENOTFOUND db.invalid', 'ENOTFOUND'))).toBe(
      'getaddrinfo ENOTFOUND db.invalid',
    );
  });

  it('gives every address Node tried for a name (localhost: ::1 and 127.0.0.1), once each', () => {
    const both = new AggregateError([
      failure('connect ECONNREFUSED ::1:5499', 'ECONNREFUSED'),
      failure('connect ECONNREFUSED 127.0.0.1:5499', 'ECONNREFUSED'),
      failure('connect ECONNREFUSED 127.0.0.1:5499', 'ECONNREFUSED'),
    ]);
    expect(connectionFailureReason(both)).toBe(
      'connect ECONNREFUSED ::1:5499; connect ECONNREFUSED 127.0.0.1:5499',
    );
  });

  it("names a connection PostgreSQL refuses, with its SQLSTATE, through a failed migration's cause", () => {
    const refused = failure('password authentication failed for user "roomlink"', '28P01');
    expect(connectionFailureReason(new Error('database migration failed', { cause: refused }))).toBe(
      'password authentication failed for user "roomlink" (28P01)',
    );
    expect(connectionFailureReason(failure('database "x" does not exist', '3D000'))).toBe(
      'database "x" does not exist (3D000)',
    );
    expect(connectionFailureReason(failure('the database system is starting up', '57P03'))).toBe(
      'the database system is starting up (57P03)',
    );
    expect(connectionFailureReason(failure('timeout expired'))).toBe(
      "it did not answer within the connection timeout (DATABASE_URL's connect_timeout, 10 s unless set)",
    );
    expect(connectionFailureReason(failure('Connection terminated unexpectedly'))).toBe(
      'Connection terminated unexpectedly',
    );
  });

  it('is undefined for a failure once connected, and for anything else', () => {
    expect(connectionFailureReason(failure('relation "meetings" does not exist', '42P01'))).toBeUndefined();
    expect(connectionFailureReason(failure('permission denied for schema public', '42501'))).toBeUndefined();
    expect(connectionFailureReason(new AggregateError([failure('x', '42P01')]))).toBeUndefined();
    expect(connectionFailureReason(new Error('database migration failed: newer'))).toBeUndefined();
    expect(connectionFailureReason('ECONNREFUSED')).toBeUndefined();
    expect(connectionFailureReason(undefined)).toBeUndefined();
  });
});

describe('unavailableOr', () => {
  it('wraps a connection failure, naming the database as given, and keeps the cause', () => {
    const cause = failure('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED');
    const error = unavailableOr(cause, 'postgres://10.0.0.5:5432/roomlink');
    expect(error).toBeInstanceOf(DatabaseUnavailable);
    expect((error as DatabaseUnavailable).message).toMatch(
      /^cannot connect to the database at postgres:\/\/10\.0\.0\.5:5432\/roomlink: connect ECONNREFUSED 10\.0\.0\.5:5432; nothing was changed\. /,
    );
    expect((error as DatabaseUnavailable).cause).toBe(cause);
  });

  it('passes any other failure through as it was', () => {
    const other = failure('syntax error at or near "x"', '42601');
    expect(unavailableOr(other, 'postgres://h/db')).toBe(other);
  });
});
