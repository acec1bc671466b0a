import { chromium, type Browser } from 'playwright-core'

/**
 * Debian's Chromium (the `chromium` package, which .ci/run installs; playwright-core downloads no
 * browser), headless, without the background traffic a test does not want. `args` come after.
 */
export function launchChromium(args: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
  })
}
