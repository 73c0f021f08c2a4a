import { describe, expect, it } from 'vitest';
import { httpErrorMessage } from '../../main/cli/errors';

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
