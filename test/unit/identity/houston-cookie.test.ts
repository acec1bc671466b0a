import { describe, expect, it } from 'vitest'
import { houstonCookieName, snakeCase } from '../../../src/identity/houston-cookie.js'

describe('houstonCookieName', () => {
  it('is astronomer_<snakeCase(baseDomain)>_auth', () => {
    expect(houstonCookieName('astro.example.com')).toBe('astronomer_astro_example_com_auth')
    expect(houstonCookieName('my-cluster.Example.COM')).toBe('astronomer_my_cluster_example_com_auth')
  })

  // lodash 4.17.21 words: its docs, issues #3109, #3367, #3992, and its ordinal rule (rsOrdLower).
  it.each([
    ['Foo Bar', 'foo_bar'],
    ['fooBar', 'foo_bar'],
    ['--FOO-BAR--', 'foo_bar'],
    ['S3Key', 's_3_key'],
    ['geo2_json', 'geo_2_json'],
    ['itemV2', 'item_v_2'],
    ['HTMLParser', 'html_parser'],
    ['astro2.example.com', 'astro_2_example_com'],
    ['my1stBirthday', 'my_1st_birthday'],
    ['10.0.0.1.nip.io', '10_0_0_1_nip_io'],
    ['', ''],
  ])('snakeCase(%j) is %j, as lodash 4.17', (input, expected) => {
    expect(snakeCase(input)).toBe(expected)
  })
})
