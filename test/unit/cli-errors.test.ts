import { describe, expect, it } from 'vitest';
import { ApiError, httpErrorMessage } from '../../main/cli/errors';

describe('HTTP errors as the Deis CLI prints them', () => {
  it('maps statuses to the Go SDK messages', () => {
    expect(httpErrorMessage(401, '{"detail":"Invalid token."}')).toBe(
      'Unauthorized: Missing or Invalid Token',
    );
    expect(httpErrorMessage(403, '{"detail":"x"}')).toBe(
      'You do not have permission to perform this action.',
    );
    expect(httpErrorMessage(404, '"No App matches the given query."')).toBe(
      '"No App matches the given query."',
    );
    expect(httpErrorMessage(404, '')).toBe('Not Found');
    expect(httpErrorMessage(405, '{"detail":"Method \\"PUT\\" not allowed."}')).toBe('Method Not Allowed');
    expect(httpErrorMessage(422, '{"detail":"FOO does not exist under values"}')).toBe(
      'Unable to process your request: FOO does not exist under values',
    );
    expect(httpErrorMessage(500, '{"detail":"Server Error"}')).toBe('Internal Server Error');
    expect(httpErrorMessage(503, '{"detail":"down"}')).toBe('Unknown Error (503): {"detail":"down"}');
  });

  it('matches 400 bodies field by field, else shows the body with its \\n turned into newlines', () => {
    expect(httpErrorMessage(400, '{"id":["Application with this id already exists."]}')).toBe(
      'Application with this id already exists.',
    );
    expect(
      httpErrorMessage(400, '{"non_field_errors":["Unable to log in with provided credentials."]}'),
    ).toBe('Unable to log in with provided credentials.');
    expect(httpErrorMessage(400, '{"username":["A user with that username already exists."]}')).toBe(
      'A user with that username already exists.',
    );
    expect(httpErrorMessage(400, '{"public":["Key contains invalid base64 chars"]}')).toBe(
      'A key is required',
    );
    expect(httpErrorMessage(400, '{"detail":"web does not exist in application foo"}')).toBe(
      'Pod not found in application',
    );
    expect(httpErrorMessage(400, '{"detail":"line one\\nline two"}')).toBe(
      'Unknown Error (400): {"detail":"line one\nline two"}',
    );
  });

  it('recognises the conflict of cancelling a user who still owns apps', () => {
    expect(
      httpErrorMessage(409, '{"detail":"bob still has applications assigned. Delete or transfer ownership"}'),
    ).toBe(
      'Failed to delete user because the user still has applications assigned. Delete or transfer ownership.',
    );
    expect(httpErrorMessage(409, '{"detail":"admin changed nothing - release stopped"}')).toBe(
      'Unknown Error (409): {"detail":"admin changed nothing - release stopped"}',
    );
  });
});

describe('errors of our own endpoints', () => {
  it("shows their sentence, or each field with its messages, instead of the SDK's Unknown Error", () => {
    expect(
      new ApiError(
        409,
        '{"detail":"The target prod still runs 1 app (web); destroy it first."}',
        '/v2/desktop/targets/prod/',
      ).message,
    ).toBe('The target prod still runs 1 app (web); destroy it first.');
    expect(
      new ApiError(400, '{"target":["There is no target named x."]}', '/v2/desktop/apps/a/promote/').message,
    ).toBe('target: There is no target named x.');
    expect(
      new ApiError(422, '{"detail":"db could not restore this file (bad)."}', '/v2/services/db/restore/')
        .message,
    ).toBe('db could not restore this file (bad).');
  });

  it("keeps Deis's words for 401, 403, and for every Deis endpoint", () => {
    expect(
      new ApiError(403, '{"detail":"Only an administrator may."}', '/v2/desktop/instance/stop/').message,
    ).toBe('You do not have permission to perform this action.');
    expect(new ApiError(409, '{"detail":"x"}', '/v2/apps/a/').message).toBe(
      'Unknown Error (409): {"detail":"x"}',
    );
  });
});
