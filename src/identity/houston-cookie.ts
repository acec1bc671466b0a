/**
 * The ASCII part of lodash 4.17's `words` (reUnicodeWord): runs of letters split where case
 * changes (`fooBar`, `HTMLParser`), digit runs as words of their own, ordinals (`1st`, `2ND`)
 * kept whole. Every other character separates words.
 */
const WORD = new RegExp(
  [
    '[A-Z]?[a-z]+(?=[^A-Za-z0-9]|[A-Z]|$)',
    '[A-Z]+(?=[^A-Za-z0-9]|[A-Z][a-z]|$)',
    '[A-Z]?[a-z]+',
    '[A-Z]+',
    '\\d*(?:1ST|2ND|3RD|(?![123])\\dTH)(?=\\b|[a-z_])',
    '\\d*(?:1st|2nd|3rd|(?![123])\\dth)(?=\\b|[A-Z_])',
    '\\d+',
  ].join('|'),
  'g',
)

/**
 * lodash `snakeCase` for ASCII input: words lowercased and joined by `_`, so
 * `astro.example.com` -> `astro_example_com`, `astro2.example.com` -> `astro_2_example_com`
 * (lodash makes a digit run its own word), `myDomain.io` -> `my_domain_io`.
 * Non-ASCII characters separate words here; lodash would deburr Latin-1 letters, but a base
 * domain is ASCII (IDNs are written in punycode).
 */
export function snakeCase(s: string): string {
  return (s.match(WORD) ?? []).map((w) => w.toLowerCase()).join('_')
}

/**
 * The cookie Houston sets its JWT in: `astronomer_${snakeCase(baseDomain)}_auth`
 * (houston-api `getCookieName()`, with lodash `snakeCase`).
 */
export function houstonCookieName(baseDomain: string): string {
  return `astronomer_${snakeCase(baseDomain)}_auth`
}
