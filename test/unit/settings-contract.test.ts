import { describe, expect, it } from 'vitest';
import { parseBody } from '../../main/api/validate';
import { DeisError } from '../../main/contract/errors';
import { SettingsRequest, TlsRequest, WhitelistRequest } from '../../main/contract/settings';

const fieldErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DeisError) return err.body();
    throw err;
  }
  throw new Error('no error');
};

describe('settings requests', () => {
  it('reads booleans the way DRF does', () => {
    expect(parseBody(SettingsRequest, { maintenance: true, routable: 'False' })).toEqual({
      maintenance: true,
      routable: false,
    });
    expect(parseBody(TlsRequest, { https_enforced: 1 })).toEqual({ https_enforced: true });
    expect(fieldErrors(() => parseBody(SettingsRequest, { maintenance: 'maybe' }))).toEqual({
      maintenance: ['"maybe" is not a valid boolean.'],
    });
    expect(fieldErrors(() => parseBody(TlsRequest, {}))).toEqual({
      https_enforced: ['This field is required.'],
    });
  });

  it('accepts autoscale entries with integer min, max and cpu_percent, or null to remove one', () => {
    const autoscale = { web: { min: 1, max: 3, cpu_percent: 40 }, worker: null };
    expect(parseBody(SettingsRequest, { autoscale })).toEqual({ autoscale });
  });

  it.each([
    [{ web: { max: 3, cpu_percent: 40 } }, "could not validate web: 'min' is a required property"],
    [{ web: { min: 1.5, max: 3, cpu_percent: 40 } }, "could not validate web: 1.5 is not of type 'integer'"],
    [{ web: { min: 1, max: 3, cpu_percent: '40' } }, `could not validate web: "40" is not of type 'integer'`],
    [{ web: 3 }, "could not validate web: 3 is not of type 'object'"],
    [{ web: { min: 4, max: 3, cpu_percent: 40 } }, 'could not validate web: max must not be less than min'],
    [{ web: { min: 0, max: 3, cpu_percent: 40 } }, 'could not validate web: min must be at least 1'],
  ])('refuses autoscale %j', (autoscale, message) => {
    expect(fieldErrors(() => parseBody(SettingsRequest, { autoscale }))).toEqual({ autoscale: [message] });
  });

  it('wants labels and autoscale as objects, and label values as text', () => {
    expect(fieldErrors(() => parseBody(SettingsRequest, { label: 'x' }))).toEqual({
      label: ['Expected a dictionary of items but got type "str".'],
    });
    expect(parseBody(SettingsRequest, { label: { team: 'a', tier: 2, gone: null } })).toEqual({
      label: { team: 'a', tier: '2', gone: null },
    });
    expect(fieldErrors(() => parseBody(SettingsRequest, { label: { team: { a: 1 } } }))).toEqual({
      label: ['The value of label team must be text.'],
    });
  });

  it('wants whitelist addresses as a list', () => {
    expect(fieldErrors(() => parseBody(WhitelistRequest, {}))).toEqual({
      addresses: ['This field is required.'],
    });
    expect(fieldErrors(() => parseBody(WhitelistRequest, { addresses: '1.2.3.4' }))).toEqual({
      addresses: ['Expected a list of items but got type "str".'],
    });
    expect(parseBody(WhitelistRequest, { addresses: ['1.2.3.4'] })).toEqual({ addresses: ['1.2.3.4'] });
  });
});
