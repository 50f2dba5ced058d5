import { describe, expect, it } from 'vitest';
import { connectionLossOf } from '../../src/db/client.js';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
const wrapped = (cause: Error) => new Error('Failed query: update "dockerhub"."sync_runs" set ...\nparams: 1,2', { cause });

describe('connectionLossOf', () => {
  it.each([
    ['server killed the backend (57P01), wrapped by drizzle', wrapped(pgError('terminating connection due to administrator command', '57P01')), 'terminating connection due to administrator command'],
    ['server shutting down (57P02)', pgError('terminating connection due to crash of another server process', '57P02'), 'terminating connection due to crash of another server process'],
    ['connection exception class 08', pgError('connection failure', '08006'), 'connection failure'],
    ['refused (server down)', wrapped(pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')), 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['socket closed under the driver', pgError('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
    ['client-side statement guard', wrapped(pgError('Query read timeout')), 'Query read timeout'],
    ['refused on every address', new AggregateError([pgError('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), 'connect ECONNREFUSED ::1:5432'],
  ])('%s', (_name, error, expected) => {
    expect(connectionLossOf(error)).toBe(expected);
  });

  it.each([
    ['syntax error', wrapped(pgError('syntax error at or near "x"', '42601'))],
    ['unique violation', pgError('duplicate key value violates unique constraint', '23505')],
    ['statement timeout is the statement, not the connection', pgError('canceling statement due to statement timeout', '57014')],
    ['not an error', 'text'],
  ])('%s is not a lost connection', (_name, error) => {
    expect(connectionLossOf(error)).toBeUndefined();
  });
});
