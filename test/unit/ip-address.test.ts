import { describe, expect, it } from 'vitest';
import { DeisError } from '../../main/contract/errors';
import { checkAddresses, isWhitelistAddress } from '../../main/controller/ip-address';

describe('whitelist addresses', () => {
  it.each([
    '1.2.3.4',
    '0.0.0.0',
    '255.255.255.255',
    '::1',
    '2001:db8::1',
    '::ffff:10.0.0.1',
    '10.0.0.0/8',
    '10.1.2.3/8',
    '192.168.0.0/32',
    '0.0.0.0/0',
    '10.0.0.0/255.0.0.0',
    '10.0.0.0/0.255.255.255',
    '2001:db8::/32',
    '2001:db8::1/128',
  ])('accepts %s', (a) => expect(isWhitelistAddress(a)).toBe(true));

  it.each([
    '',
    'foo',
    '1.2.3',
    '1.2.3.256',
    '01.2.3.4',
    '1.2.3.4/33',
    '1.2.3.4/',
    '1.2.3.4/-1',
    '1.2.3.4/255.0.255.0',
    '2001:db8::/129',
    '2001:db8::/ffff::',
    'fe80::1%eth0',
    '1.2.3.4 ',
  ])('refuses %j', (a) => expect(isWhitelistAddress(a)).toBe(false));

  it('names the first bad address in a DRF field error', () => {
    try {
      checkAddresses('addresses', ['1.2.3.4', 'nope', 'bad']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DeisError);
      expect((err as DeisError).body()).toEqual({ addresses: ['The address nope is not valid'] });
    }
  });
});
