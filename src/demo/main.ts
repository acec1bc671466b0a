import { main } from './start.js'

// `npm start` runs this file.
main().catch((e: unknown) => {
  process.stderr.write(`permgate demo failed to start: ${(e as Error).message}\n`)
  process.exit(1)
})
