import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempFiles } from './tmp.js'

/** A private CA, a server certificate it signed, and a second CA that signed nothing we serve. */
export interface TestPki {
  readonly dir: string
  /** The CA's certificate (PEM), and its file. */
  readonly caPem: string
  readonly caFile: string
  /** Another CA's certificate file: trusting it must not trust the server. */
  readonly otherCaFile: string
  /** The server's certificate and key (PEM): subjectAltName 127.0.0.1, localhost, upstream.internal. */
  readonly cert: string
  readonly key: string
}

// Node has no API that writes an X.509 certificate; openssl does (Debian: the openssl package).
const openssl = (dir: string, ...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })

function ca(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=permgate test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign')
}

/** Generated fresh in a temporary directory (one per test file). */
export function testPki(): TestPki {
  const dir = tempFiles({
    'server.ext': 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:upstream.internal\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  })
  ca(dir, 'ca')
  ca(dir, 'other-ca')
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '1', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem')
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8')
  return { dir, caPem: read('ca.pem'), caFile: join(dir, 'ca.pem'), otherCaFile: join(dir, 'other-ca.pem'), cert: read('server.pem'), key: read('server.key') }
}

/** Writes `text` to `name` in the PKI's directory; its path. */
export function pkiFile(pki: TestPki, name: string, text: string): string {
  const f = join(pki.dir, name)
  writeFileSync(f, text)
  return f
}
